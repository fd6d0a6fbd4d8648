import ArgumentParser
import ScaleQuant

/// The `scalequant` command: a thin layer over the ScaleQuant library. Each subcommand lives in its own file and
/// keeps its logic in a `render` function that returns the text `run()` prints, so tests can call it directly.
public struct ScaleQuantCommand: ParsableCommand {
    /// Name, abstract and the subcommands.
    public static let configuration = CommandConfiguration(
        commandName: "scalequant",
        abstract: "Optimal, rescaling-aware quantization of ReLU networks and their linear building blocks.",
        subcommands: [DemoCommand.self, FormatsCommand.self, RoundCommand.self, Rank1Command.self,
                      ButterflyCommand.self, PathnormCommand.self, CompareCommand.self, QuantizeCommand.self, EvaluateCommand.self,
                      ExperimentCommand.self]
    )

    /// Creates the root command (ArgumentParser fills it in when parsing).
    public init() {}
}
