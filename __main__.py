"""`python -m reviewflow`: the same command line as the `reviewflow` script."""

from reviewflow.launch import main

main()
