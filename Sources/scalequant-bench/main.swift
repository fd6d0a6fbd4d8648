// scalequant-bench [NAME|all|list]: runs the named benchmark, or all of them. Add a benchmark by writing a file
// with an enum exposing `static let benchmark: Benchmark` and listing it below.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

import ScaleQuant

MemoryTuning.keepFreedMemory()

let benchmarks: [Benchmark] = [
    RoundingBenchmark.benchmark,
    RankOneBenchmark.benchmark,
    ButterflyBenchmark.benchmark,
    NetworkBenchmark.benchmark,
    SolvesBenchmark.benchmark,
    DigestBenchmark.benchmark,
    GraphDataBenchmark.benchmark,
    ScaleBenchmark.benchmark,
]

let arguments = Array(CommandLine.arguments.dropFirst())
let selection = arguments.first ?? "all"

if selection == "scale-run" {
    // The child process of `scale` (one run; not listed).
    exit(ScaleBenchmark.runOne(Array(arguments.dropFirst())))
} else if selection == "list" || selection == "-h" || selection == "--help" {
    print("usage: scalequant-bench [NAME|all|list]   (build with -c release)")
    for b in benchmarks { print("  \(b.name): \(b.summary)") }
} else {
    let chosen = selection == "all" ? benchmarks.filter { $0.name != "scale" } : benchmarks.filter { $0.name == selection }
    if chosen.isEmpty {
        print("unknown benchmark '\(selection)'; known: \(benchmarks.map(\.name).joined(separator: ", ")), all")
        exit(2)
    }
    #if DEBUG
    print("warning: debug build; run `swift run -c release scalequant-bench` for meaningful figures")
    #endif
    for b in chosen {
        b.run()
        print("")
    }
    BlackHole.report()
}
