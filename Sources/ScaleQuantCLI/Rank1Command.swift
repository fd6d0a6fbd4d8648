import ArgumentParser
import ScaleQuant

#if canImport(Glibc)
import Glibc
#endif

/// `scalequant rank1`: optimal (or round-to-nearest) quantization of a rank-one matrix xyᵀ.
struct Rank1Command: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rank1",
        abstract: "Quantize a rank-one matrix xyᵀ to x̂ŷᵀ on a grid, optimally (exact global minimum of the Frobenius error).",
        discussion: """
            X and Y are .npy files (1-D, or 2-D with one row or column) or text files with numbers separated by \
            spaces, commas or newlines (# starts a comment). --random M N --seed S draws Gaussian vectors instead. \
            --json prints one object with keys relative_error, rtn_relative_error, lambda, mu, pieces, seconds, \
            x_hat, y_hat. --out writes x_hat and y_hat into an .npz file (never over an input file).
            """
    )

    @Option(name: .long, help: "Left vector x (.npy or text).") var x: String?
    @Option(name: .long, help: "Right vector y (.npy or text).") var y: String?
    @Option(name: .long, parsing: .upToNextOption, help: "Draw Gaussian x ∈ ℝ^M, y ∈ ℝ^N instead of reading files: --random M N.")
    var random: [Int] = []
    @Option(name: .long, help: "Seed for --random.") var seed: UInt64 = 1
    @Option(name: .long, help: "Grid for x (and y unless --format-y): e4m3, bf16, p=8, int4, …") var format: String
    @Option(name: .customLong("format-y"), help: "Grid for y (default: the same as --format).") var formatY: String?
    @Option(name: .long, help: "optimal (default) or rtn.") var method: String = "optimal"
    @Flag(name: .long, help: "Print a JSON object.") var json = false
    @Option(name: .long, help: "Write x_hat and y_hat to this .npz file.") var out: String?

    /// The input vectors and where they came from.
    func inputs() throws(CLIError) -> (x: [Double], y: [Double]) {
        if !random.isEmpty {
            guard random.count == 2, random[0] > 0, random[1] > 0, random[0] <= 1 << 24, random[1] <= 1 << 24 else {
                throw CLIError("--random takes two positive sizes M N (at most 2^24), e.g. --random 64 64")
            }
            guard x == nil && y == nil else { throw CLIError("give either --random or --x/--y, not both") }
            var rng = SeededGenerator(seed: seed)
            return (rng.gaussians(random[0]), rng.gaussians(random[1]))
        }
        guard let xp = x, let yp = y else { throw CLIError("give --x X --y Y (files) or --random M N") }
        do {
            return (try loadVector(xp), try loadVector(yp))
        } catch {
            throw CLIError("\(error)")
        }
    }

    /// Runs the quantization and renders the report.
    func render() throws(CLIError) -> String {
        let gx = try parseGrid(format)
        let gy = try formatY.map { name throws(CLIError) in try parseGrid(name) } ?? gx
        guard method == "optimal" || method == "rtn" else {
            throw CLIError("unknown method '\(method)': use optimal or rtn")
        }
        let (xv, yv) = try inputs()
        let clock = ContinuousClock()
        var result: RankOneResult?
        var failure: Error?
        let elapsed = clock.measure {
            do { result = try RankOne.quantize(x: xv, y: yv, grid: gx, gridY: gy) } catch { failure = error }
        }
        if let failure { throw CLIError("\(failure)") }
        var r = result!
        if method == "rtn" {
            r.xHat = gx.round(xv); r.yHat = gy.round(yv)
            r.relativeError = r.rtnRelativeError
            r.lambda = 1; r.mu = 1
        }
        // Wall time to the microsecond: more digits would only print the clock's noise (0.005620890000000001).
        let seconds = ((Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18) * 1e6)
            .rounded() / 1e6
        if let out {
            do {
                try NPZ.write([("x_hat", NDArray(vector: r.xHat)), ("y_hat", NDArray(vector: r.yHat))], to: out,
                              refusingToOverwrite: [x, y].compactMap { $0 })
            } catch {
                throw CLIError("\(error)")
            }
        }
        if json {
            return JSONValue.object([
                ("relative_error", .number(r.relativeError)), ("rtn_relative_error", .number(r.rtnRelativeError)),
                ("lambda", .number(r.lambda)), ("mu", .number(r.mu)), ("pieces", .integer(r.pieces)),
                ("seconds", .number(seconds)), ("x_hat", .array(r.xHat.map { .number($0) })),
                ("y_hat", .array(r.yHat.map { .number($0) })),
            ]).rendered()
        }
        var lines = [
            "rank-one quantization of x ∈ ℝ^\(xv.count), y ∈ ℝ^\(yv.count) on \(gx)" + (formatY != nil ? " × \(gy)" : ""),
            "method            \(method)",
            "relative error    \(formatNumber(r.relativeError))   (‖xyᵀ − x̂ŷᵀ‖_F / ‖xyᵀ‖_F)",
            "RTN error         \(formatNumber(r.rtnRelativeError))",
            "lambda, mu        \(formatNumber(r.lambda)), \(formatNumber(r.mu))",
            "pieces visited    \(r.pieces)",
            "seconds           \(formatNumber(seconds))",
        ]
        if let out { lines.append("wrote             \(out) (x_hat, y_hat)") }
        return lines.joined(separator: "\n")
    }

    func run() throws {
        emit(try render())
    }
}
