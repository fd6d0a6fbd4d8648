import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes `data` to `path` atomically: a temporary file in the same directory is written, then renamed over the
/// destination, so readers never see a partial file and a failed write leaves any existing file intact.
///
/// - Parameters:
///   - data: the complete file contents.
///   - path: the destination. If it is a symbolic link, the link's target is replaced.
///   - inputs: paths the caller read from. The write is refused if the destination is one of them (after
///     standardizing `.`/`..`, resolving symbolic links, and comparing device and inode when both exist).
/// - Throws: ``FileFormatError/refusingToOverwriteInput(file:)`` or ``FileFormatError/io(file:reason:)``.
public func writeAtomically(_ data: [UInt8], to path: String, refusingToOverwrite inputs: [String] = []) throws {
    let target = resolvedPath(path)
    for input in inputs where resolvedPath(input) == target || sameFile(input, target) {
        throw FileFormatError.refusingToOverwriteInput(file: path)
    }
    let dir = (target as NSString).deletingLastPathComponent
    let base = (target as NSString).lastPathComponent
    guard !base.isEmpty else { throw FileFormatError.io(file: path, reason: "not a file path") }
    var isDir: ObjCBool = false
    if FileManager.default.fileExists(atPath: target, isDirectory: &isDir), isDir.boolValue {
        throw FileFormatError.io(file: path, reason: "is a directory")
    }
    let tmp = (dir.isEmpty ? "." : dir) + "/.\(base).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    let fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL, 0o644)
    guard fd >= 0 else {
        throw FileFormatError.io(file: path, reason: "cannot create a temporary file in '\(dir)': "
                                 + String(cString: strerror(errno)))
    }
    var ok = true
    data.withUnsafeBytes { raw in
        var done = 0
        while done < raw.count, let p = raw.baseAddress {
            let n = write(fd, p + done, raw.count - done)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { ok = false; return }
            done += n
        }
    }
    if ok && fsync(fd) != 0 { ok = false }
    let reason = String(cString: strerror(errno))
    close(fd)
    guard ok else {
        unlink(tmp)
        throw FileFormatError.io(file: path, reason: "write failed: \(reason)")
    }
    guard rename(tmp, target) == 0 else {
        let reason = String(cString: strerror(errno))
        unlink(tmp)
        throw FileFormatError.io(file: path, reason: "cannot replace the file: \(reason)")
    }
}

/// Writes `data` to `path` atomically, like the `[UInt8]` overload (same refusal rules).
///
/// - Throws: ``FileFormatError/refusingToOverwriteInput(file:)`` or ``FileFormatError/io(file:reason:)``.
public func writeAtomically(_ data: Data, to path: String, refusingToOverwrite inputs: [String] = []) throws {
    try writeAtomically([UInt8](data), to: path, refusingToOverwrite: inputs)
}

/// `path` made absolute and standardized, with symbolic links resolved in the directory part and, if the file
/// itself is a link, in the last component too.
func resolvedPath(_ path: String) -> String {
    let url = URL(fileURLWithPath: path).standardizedFileURL
    let dir = url.deletingLastPathComponent().resolvingSymlinksInPath()
    var full = dir.appendingPathComponent(url.lastPathComponent).path
    var hops = 0
    while hops < 32, let dest = try? FileManager.default.destinationOfSymbolicLink(atPath: full) {
        let next = dest.hasPrefix("/") ? dest : (full as NSString).deletingLastPathComponent + "/" + dest
        let u = URL(fileURLWithPath: next).standardizedFileURL
        full = u.deletingLastPathComponent().resolvingSymlinksInPath().appendingPathComponent(u.lastPathComponent).path
        hops += 1
    }
    return full
}

/// Whether two existing paths name the same file (same device and inode).
private func sameFile(_ a: String, _ b: String) -> Bool {
    var sa = stat(), sb = stat()
    guard stat(a, &sa) == 0, stat(b, &sb) == 0 else { return false }
    return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino
}
