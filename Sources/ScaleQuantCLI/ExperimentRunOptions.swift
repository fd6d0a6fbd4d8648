import ArgumentParser
import ScaleQuant

/// The options the network experiments (`experiment networks`, `experiment graphs`) share: seed, sweep cap and
/// where the CSV goes, and the writing of that CSV.
struct ExperimentRunOptions: ParsableArguments {
    @Option(name: .long, help: "Seed of the random models and inputs and of the rescaling.")
    var seed: UInt64 = 1

    @Option(name: .customLong("max-sweeps"), help: "Coordinate-descent sweeps at most.")
    var maxSweeps = 10

    @Option(name: [.customShort("o"), .long], help: "Write the CSV here instead of standard output.")
    var output: String?

    /// Checks the values the parser cannot.
    func validated() throws -> ExperimentRunOptions {
        guard maxSweeps >= 1 else { throw CLIError("--max-sweeps must be at least 1") }
        return self
    }

    /// The experiment's CSV (``NetworkExperiment/csv(_:)``): written atomically to `--output` (the returned line
    /// says so), or returned without its final newline for standard output.
    func deliver(_ rows: [NetworkExperiment.Row]) throws -> String {
        let text = NetworkExperiment.csv(rows)
        if let output {
            do { try writeAtomically(Array(text.utf8), to: output) } catch { throw CLIError("\(error)") }
            return "wrote \(rows.count) rows to \(output)"
        }
        return String(text.dropLast())
    }
}
