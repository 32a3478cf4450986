"""`python -m tsukuru` is the `tsukuru` command."""

from tsukuru.cli import main

main()
