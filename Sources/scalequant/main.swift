import ScaleQuant
import ScaleQuantCLI

MemoryTuning.keepFreedMemory()

ScaleQuantCommand.main()
