from polku.cli import main

main()
