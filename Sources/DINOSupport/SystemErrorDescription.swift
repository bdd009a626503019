import Foundation

/// A file-system error in our words: what happened to which path, never Foundation's own text
/// (`Error Domain=NSCocoaErrorDomain Code=256 "(null)"`), which names neither the cause nor the remedy.
///
/// `path` is the file the caller was working on; the error's own path, where it has one, wins.
public func describeSystemError(_ error: Error, path: String) -> String {
    let nsError = error as NSError
    let file = (nsError.userInfo[NSFilePathErrorKey] as? String) ?? path
    // Foundation wraps the operating system's errno; that says more than its own code.
    let underlying = nsError.userInfo[NSUnderlyingErrorKey] as? NSError
    let errno = underlying?.domain == NSPOSIXErrorDomain ? Int32(underlying?.code ?? 0)
        : nsError.domain == NSPOSIXErrorDomain ? Int32(nsError.code) : 0
    var isFolder: ObjCBool = false
    let exists = FileManager.default.fileExists(atPath: file, isDirectory: &isFolder)
    switch errno {
    case EISDIR: return "\(file) is a folder, expected a file"
    case ENOTDIR: return "\(file): a part of its path is a file, expected a folder"
    case ENOENT: return "\(file) does not exist"
    case EACCES, EPERM: return "\(file) cannot be opened: permission denied (check its owner and mode)"
    case ENOSPC: return "\(file) cannot be written: the disk is full"
    case EROFS: return "\(file) cannot be written: the file system is read-only"
    case EIO: return "\(file): the device reported an input/output error"
    default: break
    }
    if nsError.domain == NSCocoaErrorDomain {
        switch CocoaError.Code(rawValue: nsError.code) {
        case .fileNoSuchFile, .fileReadNoSuchFile: return "\(file) does not exist"
        case .fileReadNoPermission, .fileWriteNoPermission: return "\(file) cannot be opened: permission denied (check its owner and mode)"
        case .fileWriteOutOfSpace: return "\(file) cannot be written: the disk is full"
        case .fileWriteVolumeReadOnly: return "\(file) cannot be written: the file system is read-only"
        case .fileReadTooLarge: return "\(file) is too large to read"
        default: break
        }
    }
    if exists && isFolder.boolValue { return "\(file) is a folder, expected a file" }
    if !exists { return "\(file) does not exist" }
    if errno != 0 { return "\(file): \(String(cString: strerror(errno)))" }
    return "\(file) cannot be read or written (the system gave no reason)"
}

/// Why the file at `path` cannot be read, in our words (missing, a folder, permission denied), or nil
/// when it can. Root reads every file, so "permission denied" only shows for other users.
public func unreadableFileReason(_ path: String) -> String? {
    // Non-blocking, so that a named pipe in the file's place cannot hang the check.
    let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
    guard descriptor >= 0 else { return describeSystemError(NSError(domain: NSPOSIXErrorDomain, code: Int(errno)), path: path) }
    defer { close(descriptor) }
    var status = stat()
    if fstat(descriptor, &status) == 0, status.st_mode & S_IFMT == S_IFDIR { return "\(path) is a folder, expected a file" }
    return nil
}
