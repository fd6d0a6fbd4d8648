import ArgumentParser
import ScaleQuant

/// `scalequant butterfly`: quantizes a square-dyadic butterfly chain (random, factored from a dense matrix, or
/// read from an `.npz`) with RTN, pairwise, left-to-right or right-to-left (hal-04125381, §7).
struct ButterflyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "butterfly",
        abstract: "Quantize a butterfly factorization (RTN, pairwise, left-to-right, right-to-left).",
        discussion: """
            Input (exactly one): --random N (Gaussian values on the square-dyadic supports of size N = 2^L, \
            seeded by --seed), --matrix A.npy (a dense N×N float matrix, first factored by the hierarchical \
            butterfly algorithm), or --factors F.npz.
            Factor layout (--factors and --out): an .npz with members factor_0, factor_1, ... (leftmost first, \
            the product is factor_0·factor_1·...), each a 4-D float array of shape (a, b, c, d) holding \
            lazylinop's ks_values: entry [ia, ib, ic, id] sits at row ia·b·d + ib·d + id and column \
            ia·c·d + ic·d + id of an (a·b·d)×(a·c·d) factor. Square-dyadic factor l (1-based) has pattern \
            (2^(l-1), 2, 2, N/2^l).
            Output: relative_error = ||P - Q||_F/||P||_F with P the product of the input factors and Q the \
            product of the quantized ones (exact, dense, up to N = 4096; 64 seeded Gaussian probes beyond), \
            rtn_relative_error the same for round-to-nearest, seconds the quantization time, and for --matrix \
            factorization_error = ||A - P||_F/||A||_F and matrix_relative_error = ||A - Q||_F/||A||_F.
            --out writes the quantized factors in the same layout (never over an input file).
            """
    )

    @Option(name: .long, help: "Size N = 2^L of a random Gaussian butterfly.")
    var random: Int?

    @Option(name: .long, help: "Seed of --random.")
    var seed: UInt64 = 1

    @Option(name: .long, help: "A dense square .npy matrix to factor and quantize.")
    var matrix: String?

    @Option(name: .long, help: "An .npz of factors factor_0, factor_1, ... (4-D ks_values, shape (a,b,c,d)).")
    var factors: String?

    @Option(name: .long, help: "The format to quantize to (see `scalequant formats`), e.g. e4m3, bf16, p=4.")
    var format: String

    @Option(name: .long, help: "rtn, pairwise, l2r or r2l.")
    var method: String

    @Flag(name: .long, help: "Print a JSON object.")
    var json = false

    @Option(name: .long, help: "Write the quantized factors to this .npz.")
    var out: String?

    /// The largest --random size accepted.
    static let maxRandomSize = 1 << 16

    /// Parses a method name.
    static func parseMethod(_ name: String) throws(CLIError) -> SparseChain.Method {
        let key = name.lowercased()
        let aliases: [String: SparseChain.Method] = ["left-to-right": .leftToRight, "right-to-left": .rightToLeft]
        guard let m = SparseChain.Method(rawValue: key) ?? aliases[key] else {
            throw CLIError("unknown method '\(name)': expected rtn, pairwise, l2r or r2l")
        }
        return m
    }

    /// Loads the input chain; for --matrix also the dense matrix's factorization error and the matrix itself.
    func loadChain() throws -> (chain: ButterflyChain, source: String, factorization: ButterflyFactorization?,
                                matrix: [Double]?) {
        let given = [random != nil, matrix != nil, factors != nil].filter { $0 }.count
        guard given == 1 else { throw CLIError("give exactly one of --random N, --matrix A.npy, --factors F.npz") }
        if let n = random {
            guard ButterflyChain.log2(n) != nil, n <= Self.maxRandomSize else {
                throw CLIError("--random \(n): the size must be a power of two between 2 and \(Self.maxRandomSize)")
            }
            return (try ButterflyChain.random(n, seed: seed), "random N=\(n) seed=\(seed)", nil, nil)
        }
        if let path = matrix {
            let a: NDArray
            do { a = try NPY.read(path) } catch { throw CLIError("cannot read matrix: \(error)") }
            guard a.shape.count == 2 else { throw CLIError("\(path): shape \(a.shape) is not a matrix (2-D)") }
            guard a.shape[0] == a.shape[1] else {
                throw CLIError("\(path): the matrix is \(a.shape[0])×\(a.shape[1]), not square")
            }
            guard ButterflyChain.log2(a.shape[0]) != nil else {
                throw CLIError("\(path): size \(a.shape[0]) is not a power of two ≥ 2")
            }
            do {
                let f = try ButterflyFactorization(matrix: a.values, size: a.shape[0])
                return (f.chain, path, f, a.values)
            } catch let e as ButterflyError {
                throw CLIError("\(path): \(e.description)")
            }
        }
        let path = factors ?? ""
        let members: [(name: String, array: NDArray)]
        do { members = try NPZ.read(path) } catch { throw CLIError("cannot read factors: \(error)") }
        do {
            return (try ButterflyChain(namedArrays: members), path, nil, nil)
        } catch let e as ButterflyError {
            throw CLIError("\(path): \(e.description)")
        }
    }

    /// Runs the command and returns its output (text or JSON).
    ///
    /// - Throws: ``CLIError`` for bad input (see the discussion) or a failed write.
    func render() throws -> String {
        let grid = try parseGrid(format)
        let m = try Self.parseMethod(method)
        let (chain, source, factorization, dense) = try loadChain()
        let clock = ContinuousClock()
        var quantized = chain
        let elapsed = try clock.measure { quantized = try ButterflyQuantizer.quantize(chain, grid: grid, method: m) }
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        let err = ButterflyMetrics.relativeError(chain, quantized)
        let rtn = m == .rtn ? err : ButterflyMetrics.relativeError(chain, ButterflyQuantizer.roundToNearest(chain, grid: grid))
        let matrixError = dense.map { ButterflyMetrics.relativeError(dense: $0, chain: quantized) }
        if let out {
            let inputs = [matrix, factors].compactMap { $0 }
            do { try NPZ.write(quantized.namedArrays(), to: out, refusingToOverwrite: inputs) } catch {
                throw CLIError("cannot write \(out): \(error)")
            }
        }
        var pairs: [(String, JSONValue)] = [
            ("source", .string(source)), ("size", .integer(chain.rowCount)), ("factors", .integer(chain.factors.count)),
            ("format", .string(grid.description)), ("method", .string(m.rawValue)),
            ("relative_error", .number(err)), ("rtn_relative_error", .number(rtn)), ("seconds", .number(seconds)),
        ]
        if let f = factorization { pairs.append(("factorization_error", .number(f.relativeError))) }
        if let e = matrixError { pairs.append(("matrix_relative_error", .number(e))) }
        if let out { pairs.append(("out", .string(out))) }
        if json { return JSONValue.object(pairs).rendered() }
        return pairs.map { key, value in
            if case .string(let s) = value { return "\(key): \(s)" }
            return "\(key): \(value.rendered())"
        }.joined(separator: "\n")
    }

    func run() throws {
        emit(try render())
    }
}
