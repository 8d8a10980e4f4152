"""Which release this package is, for `init` to pin gitops-runner's own action by commit.

.github/workflows/release.yml stamps ACTION_COMMIT (the commit whose action.yml runs the
release's image by digest) into the package it builds; a source checkout has none.
"""

ACTION_REPOSITORY = "gitops-runner/gitops-runner"
ACTION_COMMIT = ""
