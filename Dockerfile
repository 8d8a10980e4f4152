# The gitops-runner GitHub Action.
# No USER: GitHub starts Docker actions as the image's user and documents that it must be
# root ("Dockerfile support for GitHub Actions", USER), and the runner's uid is 1001 only on
# GitHub-hosted runners. `gitops-runner action` starts as root and, before it writes
# anything, becomes the owner of $GITHUB_WORKSPACE (gitops_runner/github/runner_user.py),
# so files in the workspace and the $GITHUB_OUTPUT/$GITHUB_STEP_SUMMARY files stay the
# runner's on hosted, self-hosted and GHES runners alike.
FROM python:3.12.8-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /opt/gitops-runner
COPY pyproject.toml README.md ./
COPY gitops_runner ./gitops_runner
COPY schemas ./schemas
COPY examples ./examples
RUN pip install --no-cache-dir .

ENTRYPOINT ["gitops-runner", "action"]
