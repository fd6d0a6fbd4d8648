import ScaleQuantCLI

ScaleQuantCommand.main()
