import ArgumentParser

/// `scalequant experiment`: the group of reproducible experiments (one subcommand per experiment).
struct ExperimentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "experiment",
        abstract: "Run a reproducible experiment and write its table and plots.",
        subcommands: [ExperimentButterflyCommand.self]
    )
}
