import ArgumentParser

/// `scalequant experiment …`: the studies that reproduce the papers' figures (one subcommand per study).
struct ExperimentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "experiment",
        abstract: "Reproduce the studies (tables, CSV files and SVG plots).",
        subcommands: [Rank1ExperimentCommand.self, ExperimentButterflyCommand.self, NetworksExperimentCommand.self,
                      GraphsExperimentCommand.self]
    )
}
