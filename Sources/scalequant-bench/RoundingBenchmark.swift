import ScaleQuant

/// Throughput of `FloatFormat.round(_:into:)` (the fast buffer rounding) against the hardware/compiler-rt
/// conversion `Double(Float16(x))` on the same data.
enum RoundingBenchmark {
    /// Number of elements rounded per timed run.
    static let count = 1 << 22
    /// Timed runs per measurement; the best is reported.
    static let repetitions = 5
    /// Data scale: Gaussian samples times this, well inside the range of every format measured (e4m3 max 448).
    static let sigma = 8.0

    /// The benchmark entry.
    static let benchmark = Benchmark(
        name: "rounding",
        summary: "fast buffer rounding (e4m3, bf16, fp16) vs Float16(x) round trip, 2^22 Gaussian doubles",
        run: run
    )

    /// Runs the measurements and prints a table plus the fp16 ratio.
    static func run() {
        var rng = SeededGenerator(seed: 0x5CA1E)
        let input = (0..<count).map { _ in sigma * rng.nextGaussian() }
        var output = [Double](repeating: 0, count: count)
        var reference = [Double](repeating: 0, count: count)
        print("rounding: \(count) Gaussian doubles (σ = \(sigma), seed 0x5CA1E), best of \(repetitions)")

        var printer = RowPrinter(["kernel", "ms", "ns/elem", "Melem/s"])
        func add(_ label: String, _ seconds: Double) {
            printer.add([label, fixed(seconds * 1e3, 3), fixed(seconds * 1e9 / Double(count), 3),
                         fixed(Double(count) / seconds / 1e6, 1)])
        }

        var fp16Seconds = 0.0
        input.withUnsafeBufferPointer { src in
            output.withUnsafeMutableBufferPointer { dst in
                for name in ["e4m3", "bf16", "fp16"] {
                    guard let format = FormatCatalog.preset(named: name) else { fatalError("no preset \(name)") }
                    let t = Timing.bestOf(repetitions) { format.round(src, into: dst) }
                    BlackHole.consume(dst)
                    add("\(name) round(_:into:)", t)
                    if name == "fp16" { fp16Seconds = t }
                }
            }
            reference.withUnsafeMutableBufferPointer { ref in
                let t = Timing.bestOf(repetitions) { float16RoundTrip(src, into: ref) }
                BlackHole.consume(ref)
                add("Double(Float16(x)) loop", t)
                let ratio = fp16Seconds / t
                printer.print()
                print("ratio ours/Float16 (fp16): \(fixed(ratio, 2))  (target ≤ 3)")
            }
        }
        // The last buffer rounding was fp16: check it agrees with the Float16 conversion (no overflow at σ = 8).
        let mismatches = zip(output, reference).reduce(0) { $0 + ($1.0.bitPattern == $1.1.bitPattern ? 0 : 1) }
        print("fp16 vs Float16 mismatches: \(mismatches) of \(count)")
    }

    /// Converts each element to `Float16` and back.
    @inline(never)
    static func float16RoundTrip(_ src: UnsafeBufferPointer<Double>, into dst: UnsafeMutableBufferPointer<Double>) {
        for i in 0..<src.count { dst[i] = Double(Float16(src[i])) }
    }
}
