#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// The library-wide number of threads of the parallel loops (``parallelFor(_:schedule:threads:_:)``).
///
/// The default is ``defaultThreads``: the environment variable `SCALEQUANT_THREADS` when it holds a positive
/// integer (read once, at the first use; this is how the CLI, the C ABI and Python are configured), otherwise
/// the number of active cores. A program can change it at any time by assigning ``threads`` (an atomic store:
/// safe from any thread; loops already running keep the count they started with). Functions and options that
/// take their own `threads: Int?` use that count when it is given and this one when it is `nil`.
///
/// Results never depend on the thread count: every parallel loop writes disjoint slots and reduces them in a
/// fixed order (`Tests/ScaleQuantTests/Support/ParallelTests.swift` compares 1, 2 and 3 threads bit for bit).
public enum Parallelism {
    /// The number of active cores (`sysconf(_SC_NPROCESSORS_ONLN)`), at least 1; read once.
    public static let activeCores: Int = Swift.max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))

    /// `SCALEQUANT_THREADS` if it is set to a positive integer, otherwise ``activeCores``; read once.
    public static let defaultThreads: Int = environmentThreads ?? activeCores

    /// The value of `SCALEQUANT_THREADS` when it is a positive integer.
    static var environmentThreads: Int? {
        guard let raw = getenv("SCALEQUANT_THREADS"), let n = Int(String(cString: raw)), n > 0 else { return nil }
        return n
    }

    /// A one-line message when `SCALEQUANT_THREADS` is set but is not a positive integer (the library then uses
    /// ``activeCores``; the CLI refuses to run with it), `nil` otherwise.
    public static var environmentProblem: String? {
        guard let raw = getenv("SCALEQUANT_THREADS"), environmentThreads == nil else { return nil }
        return "SCALEQUANT_THREADS is '\(String(cString: raw))': it must be a positive integer (unset it to use "
            + "all \(activeCores) cores)"
    }

    /// The assigned count; 0 while none was assigned (then ``defaultThreads``).
    private static let assigned = Atomic<Int>(0)

    /// The number of threads used when a call does not say (at least 1; initially ``defaultThreads``).
    ///
    /// - Precondition (set): `newValue ≥ 1`.
    public static var threads: Int {
        get {
            let n = assigned.load(ordering: .relaxed)
            return n > 0 ? n : defaultThreads
        }
        set {
            precondition(newValue >= 1, "Parallelism.threads must be at least 1 (got \(newValue))")
            assigned.store(newValue, ordering: .relaxed)
        }
    }

    /// `threads` if given (at least 1), otherwise the library-wide ``threads``.
    @inlinable
    public static func resolve(_ threads: Int?) -> Int { Swift.max(1, threads ?? self.threads) }
}
