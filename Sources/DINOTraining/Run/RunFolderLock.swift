import DINO
import Foundation

/// A run folder belongs to one process at a time: an exclusive `flock` on `FOLDER/.lock`, held until the
/// lock is released (the process ends, or the lock is deinitialised). The file holds the holder's PID,
/// so a second process is told whom it waits for. A killed process releases its lock with its file
/// descriptors; the file left behind is harmless.
public final class RunFolderLock: Sendable {
    /// The lock file's descriptor, open for the lock's life.
    let descriptor: Int32

    /// Takes the lock on `folder` (created if needed), or throws a message naming the PID that holds it.
    public init(folder: URL) throws {
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        } catch {
            throw DataError("cannot create the output folder: \(describeSystemError(error, path: folder.path))")
        }
        let path = folder.appendingPathComponent(".lock").path
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            let reason = describeSystemError(NSError(domain: NSPOSIXErrorDomain, code: Int(errno)), path: path)
            throw DataError("\(reason); it is the run folder's lock: if no run is using the folder, remove it and run again, or pass another --output-dir")
        }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let holder = (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            close(descriptor)
            throw DataError("""
                \(folder.path) is in use by another run (PID \(holder.isEmpty ? "unknown" : holder)); \
                wait for it to finish, or pass another --output-dir
                """)
        }
        let pid = Array("\(getpid())\n".utf8)
        if ftruncate(descriptor, 0) != 0 || pwrite(descriptor, pid, pid.count, 0) != pid.count {
            close(descriptor)
            throw DataError("\(path), the run folder's lock, cannot be written (\(String(cString: strerror(errno)))); check the disk and the file's owner")
        }
        self.descriptor = descriptor
    }

    deinit { close(descriptor) }
}
