import ArgumentParser

/// `scalequant experiment …`: the studies that reproduce the papers' figures.
struct ExperimentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "experiment",
        abstract: "Reproduce the studies (tables, CSV files and SVG plots).",
        subcommands: [Rank1ExperimentCommand.self, NetworksExperimentCommand.self]
    )
}
