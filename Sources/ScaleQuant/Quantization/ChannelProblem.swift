// The coordinate-descent subproblem of one hidden channel of a convolutional network: its data, validation and
// direct evaluation. The rescaling line search is in ChannelProblem+Sweep.swift, the alternating refinement and
// the combined step in ChannelProblem+Refine.swift.

/// One hidden channel's step of exact coordinate descent on the ℓ² path-metric of a convolutional network.
///
/// A channel's parameters are shared by N spatial neurons t = 0…N−1. With every other parameter fixed, the terms of
/// the squared path-metric that depend on the channel are (up to a constant)
///
///   f(x̂, ŷ) = Σ_t [ −2 (Σ_o A[t,o] x̂_o)(Σ_k B[t,k] ŷ_k) + (Σ_o C[t,o] x̂_o²)(Σ_k D[t,k] ŷ_k²) ]
///
/// where ŷ ∈ G_Y^n are the channel's quantized incoming parameters (kernel entries, the last one optionally a bias on
/// its own grid), x̂ ∈ G_X^m its quantized outgoing parameters, and A, B (any sign), C, D (≥ 0) are sparse N×m and
/// N×n weights. For N = 1 this is the weighted rank-one step of multilayer networks (`NeuronPairProblem`).
///
/// The unquantized parameters x ∈ ℝ^m, y ∈ ℝ^n define the **rescaling family** x̂(λ) = Q_X(x/λ), ŷ(λ) = Q_Y(λ·y),
/// λ > 0, over which ``solveOverRescaling(options:)`` finds the exact minimum of f; ``refine(xHat:yHat:maxRounds:)``
/// improves any point by exact alternating block minimization, and ``solve(current:options:)`` combines both.
///
/// Storage: the weights of each coordinate are one contiguous run of (t, linear weight, quadratic weight) entries
/// (compressed sparse columns), incoming coordinates first, then outgoing ones; entries whose two weights are both
/// zero are dropped.
public struct ChannelProblem: Sendable {
    /// One weight entry of a coordinate: the neuron t it touches and its two weights there (A[t,o] and C[t,o] for
    /// an outgoing coordinate o, B[t,k] and D[t,k] for an incoming coordinate k).
    public struct Entry: Sendable, Equatable {
        /// The spatial neuron t, 0 ≤ t < N.
        public var neuron: Int
        /// The weight of the linear term (A or B; any sign).
        public var linear: Double
        /// The weight of the quadratic term (C or D; must be ≥ 0).
        public var quadratic: Double

        /// Creates an entry.
        public init(neuron: Int, linear: Double, quadratic: Double) {
            self.neuron = neuron
            self.linear = linear
            self.quadratic = quadratic
        }
    }

    /// The sparse weights of one side (A and C for the outgoing side, B and D for the incoming side) in compressed
    /// sparse column form: the entries of coordinate j are at `columnStart[j]..<columnStart[j + 1]`.
    public struct Weights: Sendable, Equatable {
        /// The number of coordinates (columns).
        public let count: Int
        /// Where each column's entries start; `count + 1` non-decreasing offsets from 0 to the number of entries.
        public let columnStart: [Int]
        /// The neuron t of each entry.
        public let neuron: [Int]
        /// The linear weight (A or B) of each entry.
        public let linear: [Double]
        /// The quadratic weight (C or D) of each entry.
        public let quadratic: [Double]

        /// Creates the weights from compressed sparse columns.
        ///
        /// - Throws: ``ChannelProblemError/sizeMismatch(_:)`` if the offsets are not `count + 1` non-decreasing
        ///   values from 0 to the length of the entry arrays, or the entry arrays differ in length.
        public init(columnStart: [Int], neuron: [Int], linear: [Double], quadratic: [Double]) throws {
            guard let first = columnStart.first, first == 0 else {
                throw ChannelProblemError.sizeMismatch("columnStart must start with 0 (one offset per column, plus one)")
            }
            guard neuron.count == linear.count, linear.count == quadratic.count else {
                throw ChannelProblemError.sizeMismatch("weights: \(neuron.count) neurons, \(linear.count) linear and "
                    + "\(quadratic.count) quadratic weights")
            }
            for j in 1..<columnStart.count where columnStart[j] < columnStart[j - 1] {
                throw ChannelProblemError.sizeMismatch("columnStart decreases at column \(j - 1)")
            }
            guard columnStart.last! == neuron.count else {
                throw ChannelProblemError.sizeMismatch("columnStart ends at \(columnStart.last!) but there are "
                    + "\(neuron.count) entries")
            }
            self.count = columnStart.count - 1
            self.columnStart = columnStart
            self.neuron = neuron
            self.linear = linear
            self.quadratic = quadratic
        }

        /// Creates the weights from one list of entries per coordinate.
        public init(columns: [[Entry]]) {
            var start = [0], nrn: [Int] = [], lin: [Double] = [], quad: [Double] = []
            for column in columns {
                for e in column { nrn.append(e.neuron); lin.append(e.linear); quad.append(e.quadratic) }
                start.append(nrn.count)
            }
            count = columns.count
            columnStart = start
            neuron = nrn
            linear = lin
            quadratic = quad
        }

        /// Creates the weights from dense N × `count` matrices given as rows (row t is neuron t); entries where both
        /// weights are zero are left out.
        ///
        /// - Throws: ``ChannelProblemError/sizeMismatch(_:)`` if the two matrices differ in shape or a row does not
        ///   have `count` entries.
        public init(linearRows: [[Double]], quadraticRows: [[Double]], count: Int) throws {
            guard linearRows.count == quadraticRows.count else {
                throw ChannelProblemError.sizeMismatch("\(linearRows.count) linear rows but \(quadraticRows.count) "
                    + "quadratic rows")
            }
            for (t, row) in linearRows.enumerated() where row.count != count || quadraticRows[t].count != count {
                throw ChannelProblemError.sizeMismatch("row \(t) has \(row.count) linear and \(quadraticRows[t].count) "
                    + "quadratic weights, expected \(count)")
            }
            var columns = [[Entry]](repeating: [], count: count)
            for t in 0..<linearRows.count {
                for j in 0..<count where linearRows[t][j] != 0 || quadraticRows[t][j] != 0 {
                    columns[j].append(Entry(neuron: t, linear: linearRows[t][j], quadratic: quadraticRows[t][j]))
                }
            }
            self.init(columns: columns)
        }

        /// The entries of coordinate `j`.
        public func entries(ofColumn j: Int) -> [Entry] {
            (columnStart[j]..<columnStart[j + 1]).map { Entry(neuron: neuron[$0], linear: linear[$0], quadratic: quadratic[$0]) }
        }
    }

    /// Tuning of the solvers.
    public struct Options: Sendable, Equatable {
        /// Threads for the rescaling sweep (`nil`: ``Parallelism/threads``): with enough events, its sorted events
        /// are split in two halves, swept concurrently when this is ≥ 2 (one after the other otherwise: the same
        /// answer). Use 1 when channels are already solved in parallel.
        public var threads: Int?
        /// Refuse a sweep with more events than this (each costs about 50 bytes while the sweep runs).
        public var maxEvents: Int
        /// The cap on rounds (one x̂ block step and one ŷ block step) of ``ChannelProblem/refine(xHat:yHat:maxRounds:)``
        /// inside ``ChannelProblem/solve(current:options:)``.
        public var maxRefinementRounds: Int

        /// Creates options.
        public init(threads: Int? = nil, maxEvents: Int = 1 << 24, maxRefinementRounds: Int = 100) {
            self.threads = threads
            self.maxEvents = maxEvents
            self.maxRefinementRounds = maxRefinementRounds
        }
    }

    /// A quantized channel (x̂, ŷ) and how it was found.
    public struct Solution: Sendable, Equatable {
        /// The outgoing parameters x̂ on `gridX`.
        public var xHat: [Double]
        /// The incoming parameters ŷ on `gridY` (the last on `biasGrid` if there is one).
        public var yHat: [Double]
        /// f(x̂, ŷ), evaluated directly by ``ChannelProblem/objective(xHat:yHat:)``.
        public var objective: Double
        /// The scale λ of the family member (Q_X(x/λ), Q_Y(λy)) the answer is, or was refined from; `nil` if it came
        /// from the `current` point of ``ChannelProblem/solve(current:options:)``, from ``ChannelProblem/refine(xHat:yHat:maxRounds:)``,
        /// or is the zero point of a family on which f vanishes.
        public var lambda: Double?
        /// The number of distinct family members the line search evaluated (0 if it did not run).
        public var pieces: Int
        /// Rounds of alternating refinement that were run on the returned point.
        public var refinementRounds: Int

        /// Creates a solution record.
        public init(xHat: [Double], yHat: [Double], objective: Double, lambda: Double?, pieces: Int, refinementRounds: Int) {
            self.xHat = xHat
            self.yHat = yHat
            self.objective = objective
            self.lambda = lambda
            self.pieces = pieces
            self.refinementRounds = refinementRounds
        }
    }

    /// The number m of outgoing parameters (x).
    public let m: Int
    /// The number n of incoming parameters (y; the last one is the bias when ``biasGrid`` is given).
    public let n: Int
    /// The number N of spatial neurons sharing the channel.
    public let neuronCount: Int
    /// The unquantized outgoing parameters.
    public let x: [Double]
    /// The unquantized incoming parameters.
    public let y: [Double]
    /// The grid of x̂.
    public let gridX: any NumberGrid
    /// The grid of ŷ.
    public let gridY: any NumberGrid
    /// The grid of the last incoming parameter (the bias), if it differs from ``gridY``.
    public let biasGrid: (any NumberGrid)?

    /// Entry offsets per column: columns 0..<n are the incoming coordinates (y), n..<n+m the outgoing ones (x).
    @usableFromInline let columnStart: [Int]
    /// 4·t for each entry: the per-neuron state is stored as (U_t, P_t, V_t, R_t) = (Σ B ŷ, Σ D ŷ², Σ A x̂, Σ C x̂²).
    @usableFromInline let entryOffset: [Int32]
    /// Linear weight (B or A) of each entry.
    @usableFromInline let entryLinear: [Double]
    /// Quadratic weight (D or C) of each entry.
    @usableFromInline let entryQuadratic: [Double]

    /// Creates and validates a channel problem.
    ///
    /// - Parameters:
    ///   - x: the m unquantized outgoing parameters; `outgoing` holds A (linear) and C (quadratic), one column per x_o.
    ///   - y: the n unquantized incoming parameters; `incoming` holds B (linear) and D (quadratic), one column per y_k.
    ///   - neuronCount: N; every entry's neuron must lie in 0..<N.
    ///   - biasGrid: the grid of y's last entry, if it has its own.
    /// - Throws: ``ChannelProblemError`` for mismatched sizes, non-finite values, negative quadratic weights or
    ///   neurons out of range.
    public init(x: [Double], y: [Double], neuronCount: Int, outgoing: Weights, incoming: Weights,
                gridX: any NumberGrid, gridY: any NumberGrid, biasGrid: (any NumberGrid)? = nil) throws {
        guard neuronCount >= 0, neuronCount <= Int(Int32.max) / 4 else {
            throw ChannelProblemError.sizeMismatch("neuronCount must be in 0…\(Int(Int32.max) / 4) (got \(neuronCount))")
        }
        guard outgoing.count == x.count else {
            throw ChannelProblemError.sizeMismatch("x has \(x.count) entries but the outgoing weights have \(outgoing.count) columns")
        }
        guard incoming.count == y.count else {
            throw ChannelProblemError.sizeMismatch("y has \(y.count) entries but the incoming weights have \(incoming.count) columns")
        }
        if biasGrid != nil && y.isEmpty {
            throw ChannelProblemError.sizeMismatch("a bias grid needs at least one incoming parameter (the bias is y's last entry)")
        }
        for (i, v) in x.enumerated() where !v.isFinite { throw ChannelProblemError.notFinite("x[\(i)] = \(v)") }
        for (i, v) in y.enumerated() where !v.isFinite { throw ChannelProblemError.notFinite("y[\(i)] = \(v)") }
        var start = [0], offset: [Int32] = [], lin: [Double] = [], quad: [Double] = []
        let total = outgoing.neuron.count + incoming.neuron.count
        offset.reserveCapacity(total); lin.reserveCapacity(total); quad.reserveCapacity(total)
        for (side, w, names) in [("incoming", incoming, ("B", "D")), ("outgoing", outgoing, ("A", "C"))] {
            for j in 0..<w.count {
                for e in w.columnStart[j]..<w.columnStart[j + 1] {
                    let t = w.neuron[e], a = w.linear[e], c = w.quadratic[e]
                    guard (0..<neuronCount).contains(t) else {
                        throw ChannelProblemError.neuronOutOfRange("\(side) column \(j) touches neuron \(t), outside 0..<\(neuronCount)")
                    }
                    guard a.isFinite else { throw ChannelProblemError.notFinite("\(names.0)[\(t), \(j)] = \(a)") }
                    guard c.isFinite else { throw ChannelProblemError.notFinite("\(names.1)[\(t), \(j)] = \(c)") }
                    guard c >= 0 else { throw ChannelProblemError.negativeWeight("\(names.1)[\(t), \(j)] = \(c) < 0") }
                    if a == 0 && c == 0 { continue }
                    offset.append(Int32(4 * t)); lin.append(a); quad.append(c)
                }
                start.append(offset.count)
            }
        }
        self.m = x.count
        self.n = y.count
        self.neuronCount = neuronCount
        self.x = x
        self.y = y
        self.gridX = gridX
        self.gridY = gridY
        self.biasGrid = biasGrid
        // A sentinel entry, never read, keeps the arrays non-empty so that their base addresses exist.
        offset.append(0); lin.append(0); quad.append(0)
        self.columnStart = start
        self.entryOffset = offset
        self.entryLinear = lin
        self.entryQuadratic = quad
    }

    /// Creates a problem from dense N×m (A, C) and N×n (B, D) weight matrices given as rows (row t = neuron t).
    ///
    /// - Throws: as ``init(x:y:neuronCount:outgoing:incoming:gridX:gridY:biasGrid:)``, and
    ///   ``ChannelProblemError/sizeMismatch(_:)`` if the matrices do not all have the same number of rows.
    public init(x: [Double], y: [Double], a: [[Double]], b: [[Double]], c: [[Double]], d: [[Double]],
                gridX: any NumberGrid, gridY: any NumberGrid, biasGrid: (any NumberGrid)? = nil) throws {
        guard a.count == b.count else {
            throw ChannelProblemError.sizeMismatch("A has \(a.count) rows but B has \(b.count)")
        }
        try self.init(x: x, y: y, neuronCount: a.count,
                      outgoing: Weights(linearRows: a, quadraticRows: c, count: x.count),
                      incoming: Weights(linearRows: b, quadraticRows: d, count: y.count),
                      gridX: gridX, gridY: gridY, biasGrid: biasGrid)
    }

    /// The number of stored weight entries (both sides), the cost unit of every operation.
    public var nonZeroCount: Int { entryOffset.count - 1 }

    /// f(x̂, ŷ), evaluated directly: the per-neuron sums U, P, V, R (plain sums) and then Σ_t (−2V_tU_t + R_tP_t) with
    /// a compensated sum. NaN entries propagate.
    ///
    /// - Complexity: O(nnz + N + m + n).
    /// - Throws: ``ChannelProblemError/sizeMismatch(_:)`` if x̂ does not have m entries or ŷ n entries.
    public func objective(xHat: [Double], yHat: [Double]) throws -> Double {
        guard xHat.count == m, yHat.count == n else {
            throw ChannelProblemError.sizeMismatch("x̂ has \(xHat.count) entries (expected \(m)), ŷ has \(yHat.count) (expected \(n))")
        }
        return evaluate(combine(xHat: xHat, yHat: yHat))
    }

    // MARK: - Internal helpers shared by the solvers

    /// The column vector in solver order: ŷ first, then x̂.
    func combine(xHat: [Double], yHat: [Double]) -> [Double] { yHat + xHat }

    /// Splits a column vector in solver order into (x̂, ŷ).
    func split(_ v: [Double]) -> (xHat: [Double], yHat: [Double]) { (Array(v[n...]), Array(v[..<n])) }

    /// The grid of column `col` (solver order).
    func grid(forColumn col: Int) -> any NumberGrid {
        col < n ? (col == n - 1 ? (biasGrid ?? gridY) : gridY) : gridX
    }

    /// The unquantized value of column `col`.
    func parameter(_ col: Int) -> Double { col < n ? y[col] : x[col - n] }

    /// The family member at λ, in solver order: Q(λ·y_k) for the incoming columns, Q(x_o/λ) for the outgoing ones.
    func familyMember(_ lambda: Double) -> [Double] {
        (0..<(n + m)).map { col in
            col < n ? grid(forColumn: col).round(lambda * y[col]) : gridX.round(x[col - n] / lambda)
        }
    }

    /// Exact evaluation of f at a column vector in solver order.
    func evaluate(_ v: [Double]) -> Double {
        if neuronCount == 0 || v.isEmpty { return 0 }
        var state = [Double](repeating: 0, count: 4 * neuronCount)
        return withKernel { k in
            v.withUnsafeBufferPointer { vp in
                state.withUnsafeMutableBufferPointer { sp in k.computeState(vp.baseAddress!, sp.baseAddress!) }
            }
        }
    }

    /// Runs `body` with a view of the storage as raw pointers.
    @inlinable
    func withKernel<R>(_ body: (ChannelKernel) throws -> R) rethrows -> R {
        try columnStart.withUnsafeBufferPointer { cs in
            try entryOffset.withUnsafeBufferPointer { off in
                try entryLinear.withUnsafeBufferPointer { lin in
                    try entryQuadratic.withUnsafeBufferPointer { quad in
                        try body(ChannelKernel(columnStart: cs.baseAddress!, offset: off.baseAddress!,
                                               linear: lin.baseAddress!, quadratic: quad.baseAddress!,
                                               incoming: n, columns: n + m, neurons: neuronCount))
                    }
                }
            }
        }
    }
}

/// The storage of a ``ChannelProblem`` as raw pointers, with the O(nnz) state computation shared by the sweep, the
/// refinement and direct evaluation. Valid only inside ``ChannelProblem/withKernel(_:)``.
@usableFromInline
struct ChannelKernel {
    @usableFromInline let columnStart: UnsafePointer<Int>
    @usableFromInline let offset: UnsafePointer<Int32>
    @usableFromInline let linear: UnsafePointer<Double>
    @usableFromInline let quadratic: UnsafePointer<Double>
    /// n: columns below this index are incoming (they update U, P and read V, R).
    @usableFromInline let incoming: Int
    /// n + m.
    @usableFromInline let columns: Int
    /// N.
    @usableFromInline let neurons: Int

    @inlinable
    init(columnStart: UnsafePointer<Int>, offset: UnsafePointer<Int32>, linear: UnsafePointer<Double>,
         quadratic: UnsafePointer<Double>, incoming: Int, columns: Int, neurons: Int) {
        self.columnStart = columnStart
        self.offset = offset
        self.linear = linear
        self.quadratic = quadratic
        self.incoming = incoming
        self.columns = columns
        self.neurons = neurons
    }

    /// Position of a column's own pair in the per-neuron state: 0 (U, P) for incoming columns, 2 (V, R) for outgoing.
    @inlinable
    func ownSlot(_ col: Int) -> Int { col < incoming ? 0 : 2 }

    /// Recomputes the per-neuron state (U, P, V, R) from the column values `v` and returns f, compensated.
    ///
    /// - Complexity: O(nnz + N + m + n).
    @inlinable
    func computeState(_ v: UnsafePointer<Double>, _ state: UnsafeMutablePointer<Double>) -> Double {
        state.update(repeating: 0, count: 4 * neurons)
        for col in 0..<columns {
            let value = v[col]
            if value == 0 { continue }
            let own = state + ownSlot(col), sq = value * value
            var e = columnStart[col]
            let end = columnStart[col + 1]
            while e < end {
                let t = Int(offset[e])
                own[t] += linear[e] * value
                own[t + 1] += quadratic[e] * sq
                e &+= 1
            }
        }
        return objective(state)
    }

    /// f = Σ_t (−2 V_t U_t + R_t P_t) from the state, with a compensated sum.
    @inlinable
    func objective(_ state: UnsafePointer<Double>) -> Double {
        var f = CompensatedSum()
        var t = 0
        while t < 4 * neurons {
            f.add(-2 * state[t + 2] * state[t])
            f.add(state[t + 3] * state[t + 1])
            t &+= 4
        }
        return f.value
    }
}

/// A bad channel problem or a request the solvers refuse.
public enum ChannelProblemError: Error, CustomStringConvertible, Equatable {
    /// Arrays whose lengths do not agree.
    case sizeMismatch(String)
    /// A NaN or infinite input.
    case notFinite(String)
    /// A negative quadratic weight (C or D).
    case negativeWeight(String)
    /// A weight entry naming a neuron outside 0..<N.
    case neuronOutOfRange(String)
    /// A combination of grids the rescaling sweep cannot handle exactly (an unbounded grid next to a bounded one).
    case unsupportedGrids(String)
    /// Inputs whose magnitudes are too far apart for the sweep (near the limits of binary64).
    case outOfRange(String)
    /// The sweep would need more events than ``ChannelProblem/Options/maxEvents``.
    case tooManyEvents(String)

    /// A one-line message.
    public var description: String {
        switch self {
        case .sizeMismatch(let s): return "channel problem: size mismatch: \(s)"
        case .notFinite(let s): return "channel problem: non-finite input: \(s)"
        case .negativeWeight(let s): return "channel problem: negative quadratic weight: \(s)"
        case .neuronOutOfRange(let s): return "channel problem: neuron index out of range: \(s)"
        case .unsupportedGrids(let s): return "channel problem: unsupported grids: \(s)"
        case .outOfRange(let s): return "channel problem: out of range: \(s)"
        case .tooManyEvents(let s): return "channel problem: too many events: \(s)"
        }
    }
}
