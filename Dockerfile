# The gitops-runner GitHub Action. GitHub runs it with the workspace as the working
# directory; uid 1001 matches the hosted runner's user, so the workspace and the
# $GITHUB_OUTPUT / $GITHUB_STEP_SUMMARY files stay writable without root.
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
RUN pip install --no-cache-dir . \
    && useradd --create-home --uid 1001 runner

USER 1001
ENTRYPOINT ["gitops-runner", "action"]
