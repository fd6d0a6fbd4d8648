import ScaleQuant
import ScaleQuantCLI

MemoryTuning.keepFreedMemory()

if let problem = Parallelism.environmentProblem { ScaleQuantCommand.exit(withError: CLIError(problem)) }
ScaleQuantCommand.main()
