import Foundation

/// Writes `data` to a temporary file next to `url`, flushes it to disk and renames it over `url`; on any
/// failure (a full disk, a missing folder) the temporary file is removed and the previous `url` is left
/// exactly as it was. Plain POSIX calls, so every error is seen where it happens.
public func writeAtomically(_ data: Data, to url: URL) throws {
    let (temporary, descriptor) = try createTemporaryFile(beside: url)
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
    guard ok else { close(descriptor); throw writeFailure(url, temporary: temporary, "writing") }
    guard fsync(descriptor) == 0 else { close(descriptor); throw writeFailure(url, temporary: temporary, "flushing") }
    guard close(descriptor) == 0 else { throw writeFailure(url, temporary: temporary, "closing") }
    guard rename(temporary.path, url.path) == 0 else { throw writeFailure(url, temporary: temporary, "renaming") }
}

/// Fails with `writeAtomically`'s message where it would fail to begin (a folder in the file's place; its
/// folder missing, read-only or not ours), and leaves nothing behind: for a command to call before it
/// spends minutes computing what it will write.
public func checkWritableAtomically(_ url: URL) throws {
    let (temporary, descriptor) = try createTemporaryFile(beside: url)
    close(descriptor)
    unlink(temporary.path)
}

/// Creates (or empties) the temporary file `writeAtomically` writes before renaming it to `url`, and
/// opens it for writing; refuses a folder named `url`.
private func createTemporaryFile(beside url: URL) throws -> (url: URL, descriptor: Int32) {
    var isFolder: ObjCBool = false
    if FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder), isFolder.boolValue {
        throw DataError("\(url.path) is a folder, expected a file: move the folder away or name another file")
    }
    let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())")
    let descriptor = open(temporary.path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    guard descriptor >= 0 else { throw writeFailure(url, temporary: temporary, "creating \(temporary.lastPathComponent)") }
    return (temporary, descriptor)
}

/// The error for a failed step of writing `url` (read from `errno`, with what to do about it), after
/// removing the temporary file.
private func writeFailure(_ url: URL, temporary: URL, _ what: String) -> Error {
    let code = errno
    unlink(temporary.path)
    let remedy = switch code {
    case EACCES, EPERM: "check the folder's owner and mode"
    case ENOSPC, EDQUOT: "free some space"
    case ENOENT, ENOTDIR: "create the folder first"
    case EROFS: "write to another file system"
    default: "check the disk"
    }
    return DataError("\(url.path) could not be written (\(what): \(String(cString: strerror(code)))); \(remedy); any previous file is unchanged")
}
