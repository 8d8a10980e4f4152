from gitops_runner.cli import run

run()
