from innosim.cli import main

main()
