from sealroom.cli.app import main

main()
