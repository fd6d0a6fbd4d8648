import ScaleQuant

/// The version of the C interface, incremented on any incompatible change.
@_cdecl("sq_abi_version")
public func sq_abi_version() -> Int32 { 1 }
