"""The release this package was cut from.

The release workflow (.github/workflows/release.yml) stamps COMMIT with the full SHA of
the commit it released, before it tags the release commit: a commit cannot name its own
SHA, so the stamp is the released source commit, which holds the same hooks and action.
`init` pins what it writes to it (CONTRACT §8: pinned by full commit SHA, the version in a
comment). A development build has no stamp.
"""

COMMIT = ""
