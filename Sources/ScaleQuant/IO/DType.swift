/// The element type an array is stored with in a file. Values are always held as `Double` in memory; the dtype
/// remembers the storage type so that writers can write back the same representation.
public enum DType: String, CaseIterable, Sendable, Hashable {
    /// IEEE binary16.
    case float16
    /// bfloat16 (8 exponent bits, 7 mantissa bits).
    case bfloat16
    /// IEEE binary32.
    case float32
    /// IEEE binary64.
    case float64
    /// OCP FP8 E4M3 with finite-only encoding (max 448, one NaN code per sign).
    case float8E4M3FN = "float8_e4m3fn"
    /// OCP FP8 E5M2 with IEEE specials.
    case float8E5M2 = "float8_e5m2"
    /// Signed 8-bit integer.
    case int8
    /// Signed 16-bit integer.
    case int16
    /// Signed 32-bit integer.
    case int32
    /// Signed 64-bit integer (values beyond ±2^53 lose precision in memory).
    case int64
    /// Unsigned 8-bit integer.
    case uint8
    /// Boolean stored as one byte, 0 or 1.
    case bool

    /// Bytes per element.
    public var byteSize: Int {
        switch self {
        case .float8E4M3FN, .float8E5M2, .int8, .uint8, .bool: return 1
        case .float16, .bfloat16, .int16: return 2
        case .float32, .int32: return 4
        case .float64, .int64: return 8
        }
    }

    /// Whether the dtype is a floating-point type.
    public var isFloatingPoint: Bool {
        switch self {
        case .float16, .bfloat16, .float32, .float64, .float8E4M3FN, .float8E5M2: return true
        default: return false
        }
    }

    /// The ScaleQuant number format behind a narrow floating dtype (fp16, bf16, fp8), `nil` otherwise.
    public var floatFormat: FloatFormat? {
        switch self {
        case .float16: return FormatCatalog.preset(named: "binary16")
        case .bfloat16: return FormatCatalog.preset(named: "bfloat16")
        case .float8E4M3FN: return FormatCatalog.preset(named: "e4m3")
        case .float8E5M2: return FormatCatalog.preset(named: "e5m2")
        default: return nil
        }
    }

    /// The NumPy dtype string (`<f4`, `|i1` …), `nil` for dtypes NumPy cannot store natively.
    public var npyDescr: String? {
        switch self {
        case .float16: return "<f2"
        case .float32: return "<f4"
        case .float64: return "<f8"
        case .int8: return "|i1"
        case .int16: return "<i2"
        case .int32: return "<i4"
        case .int64: return "<i8"
        case .uint8: return "|u1"
        case .bool: return "|b1"
        case .bfloat16, .float8E4M3FN, .float8E5M2: return nil
        }
    }

    /// The dtype for a little-endian or byte-order-free NumPy dtype string, if supported.
    public init?(npyDescr: String) {
        guard let d = DType.allCases.first(where: { $0.npyDescr == npyDescr }) else { return nil }
        self = d
    }

    /// The safetensors dtype name (`F32`, `BF16`, `F8_E4M3` …).
    public var safetensorsName: String {
        switch self {
        case .float16: return "F16"
        case .bfloat16: return "BF16"
        case .float32: return "F32"
        case .float64: return "F64"
        case .float8E4M3FN: return "F8_E4M3"
        case .float8E5M2: return "F8_E5M2"
        case .int8: return "I8"
        case .int16: return "I16"
        case .int32: return "I32"
        case .int64: return "I64"
        case .uint8: return "U8"
        case .bool: return "BOOL"
        }
    }

    /// The dtype for a safetensors dtype name, if supported.
    public init?(safetensorsName: String) {
        guard let d = DType.allCases.first(where: { $0.safetensorsName == safetensorsName }) else { return nil }
        self = d
    }
}
