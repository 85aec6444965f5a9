from movierec_tui.cli import main

main()
