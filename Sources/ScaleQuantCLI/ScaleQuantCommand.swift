import ArgumentParser
import ScaleQuant

/// The `scalequant` command: a thin layer over the ScaleQuant library.
public struct ScaleQuantCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "scalequant",
        abstract: "Optimal, rescaling-aware quantization of ReLU networks and their linear building blocks.",
        subcommands: [DemoCommand.self, FormatsCommand.self, RoundCommand.self]
    )
    public init() {}
}
