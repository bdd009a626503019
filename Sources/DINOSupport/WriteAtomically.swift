import Foundation

/// Writes `data` to a temporary file next to `url`, flushes it to disk and renames it over `url`; on any
/// failure (a full disk, a missing folder) the temporary file is removed and the previous `url` is left
/// exactly as it was. Plain POSIX calls, so every error is seen where it happens.
public func writeAtomically(_ data: Data, to url: URL) throws {
    let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())")
    func failure(_ what: String) -> Error {
        let reason = String(cString: strerror(errno))
        unlink(temporary.path)
        return DataError("\(url.path) could not be written (\(what): \(reason)); any previous file is unchanged")
    }
    let descriptor = open(temporary.path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    guard descriptor >= 0 else { throw failure("creating \(temporary.lastPathComponent)") }
    var written = 0
    let ok = data.withUnsafeBytes { buffer -> Bool in
        guard let start = buffer.baseAddress else { return true }  // nothing to write
        while written < buffer.count {
            let result = write(descriptor, start + written, buffer.count - written)
            if result < 0 { if errno == EINTR { continue }; return false }
            written += result
        }
        return true
    }
    guard ok else { close(descriptor); throw failure("writing") }
    guard fsync(descriptor) == 0 else { close(descriptor); throw failure("flushing") }
    guard close(descriptor) == 0 else { throw failure("closing") }
    guard rename(temporary.path, url.path) == 0 else { throw failure("renaming") }
}
