import DINO
import DINOTraining
import Foundation
import Testing

/// Every file a run reads or writes, broken each way a disk or a hand breaks one: missing, a folder in
/// its place, empty, cut short, unreadable (as another user: root reads everything) or edited between
/// runs. Each case runs the built `ch09-trainer` as a user would and asserts its exit status, a message
/// in our words that names the file (never Foundation's `Error Domain=`), and that nothing else was lost:
/// the run's files stay as they were unless the case says which may change, and a run that stops after
/// its checkpoint leaves that checkpoint readable.
@Suite(.serialized) struct FileFaultTests {
    /// One broken file and the command that meets it.
    struct Case: CustomStringConvertible {
        let name: String
        /// Breaks a file of the case's folder (`run/`, `mnist/`, `images/`).
        let breakFile: (URL) throws -> Void
        /// The command, given the case's folder.
        let command: (URL) -> String
        let status: Int32
        /// A part of standard error that names the file and says what is wrong (empty: nothing at all).
        let message: String
        /// Run as user 65534, with the case's folder theirs and the broken file root's alone.
        var asAnotherUser = false
        /// Files (relative to the case's folder) the command may change, e.g. a cut line dropped.
        var mayChange: Set<String> = []
        /// Further checks on the case's folder after the command.
        var afterwards: ((URL) throws -> Void)? = nil
        var description: String { name }
    }

    /// The unprivileged user the "unreadable" cases run as.
    static let anotherUser = "setpriv --reuid=65534 --regid=65534 --clear-groups"

    /// A finished tiny run, a tiny Fashion-MNIST and a tiny image folder, and a copy of the trainer that
    /// another user may run (a fresh clone's `.build` sits in a folder only root may enter).
    static func prepare() throws -> URL {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("dino-file-faults-\(UUID().uuidString)")
        let manager = FileManager.default
        for folder in ["template", "bin"] {
            try manager.createDirectory(at: root.appendingPathComponent(folder), withIntermediateDirectories: true)
        }
        chmod(root.path, 0o755)
        try manager.copyItem(atPath: CommandLineTests.binaries.appendingPathComponent("ch09-trainer").path, toPath: root.path + "/bin/ch09-trainer")
        let template = root.appendingPathComponent("template")
        let trained = try CommandLineTests.shell(BadInputTableTests.tiny(template.appendingPathComponent("run").path))
        guard trained.status == 0 else { throw DataError("the tiny run failed: \(trained.error)") }
        let mnist = template.appendingPathComponent("mnist")
        try manager.createDirectory(at: mnist, withIntermediateDirectories: true)
        try BadInputTableTests.idx([40, 28, 28], fill: 100).write(to: mnist.appendingPathComponent("train-images-idx3-ubyte"))
        try BadInputTableTests.idx([40], fill: 1).write(to: mnist.appendingPathComponent("train-labels-idx1-ubyte"))
        try BadInputTableTests.idx([10, 28, 28], fill: 100).write(to: mnist.appendingPathComponent("t10k-images-idx3-ubyte"))
        try BadInputTableTests.idx([10], fill: 1).write(to: mnist.appendingPathComponent("t10k-labels-idx1-ubyte"))
        for name in ["cat", "dog"] {
            let folder = template.appendingPathComponent("images/\(name)")
            try manager.createDirectory(at: folder, withIntermediateDirectories: true)
            for index in 0..<4 {
                try ImageCodecs.writePNG([Float](repeating: 0.5, count: 28 * 28), channels: 1, height: 28, width: 28,
                                         to: folder.appendingPathComponent("\(index).png"))
            }
        }
        return root
    }

    /// A fresh copy of the template for one case: the large safetensors files hard-linked (the trainer
    /// replaces files by renaming, never in place), the rest copied.
    static func caseFolder(_ root: URL, index: Int) throws -> URL {
        let folder = root.appendingPathComponent("case-\(index)")
        let template = root.appendingPathComponent("template")
        let manager = FileManager.default
        for path in try everyPath(under: template) {
            let (from, to) = (template.path + "/" + path, folder.path + "/" + path)
            if isFolder(from) {
                try manager.createDirectory(atPath: to, withIntermediateDirectories: true)
            } else if path.hasSuffix(".safetensors") {
                try manager.linkItem(atPath: from, toPath: to)
            } else {
                try manager.copyItem(atPath: from, toPath: to)
            }
        }
        return folder
    }

    /// Whether `path` names a folder.
    static func isFolder(_ path: String) -> Bool {
        var isFolder: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) && isFolder.boolValue
    }

    /// Every file and folder under `folder`, as paths relative to it, parents before their contents.
    static func everyPath(under folder: URL) throws -> [String] {
        guard let walker = FileManager.default.enumerator(atPath: folder.path) else { throw DataError("cannot list \(folder.path)") }
        return walker.compactMap { $0 as? String }
    }

    /// Replaces a file (never writing through a hard link) with `bytes`.
    static func replace(_ url: URL, with bytes: Data) throws {
        try? FileManager.default.removeItem(at: url)
        try bytes.write(to: url)
    }

    /// Removes a file and puts an empty folder in its place.
    static func folderInstead(_ url: URL) throws {
        try FileManager.default.removeItem(at: url)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: false)
    }

    /// The file's first `fraction` of bytes.
    static func cutShort(_ url: URL, to fraction: Double = 0.5) throws {
        let bytes = try Data(contentsOf: url)
        try replace(url, with: bytes.prefix(Int(Double(bytes.count) * fraction)))
    }

    static func cases() -> [Case] {
        let trainer = "$ROOT/bin/ch09-trainer"
        func resume(_ folder: URL) -> String { "\(trainer) train --resume --threads 1 --output-dir '\(folder.path)/run'" }
        func features(_ folder: URL) -> String {
            "\(trainer) features --checkpoint '\(folder.path)/run/checkpoint.safetensors' --output '\(folder.path)/features.safetensors' --threads 1"
        }
        func evaluate(_ folder: URL) -> String { "\(trainer) evaluate --checkpoint '\(folder.path)/run/checkpoint.safetensors' --threads 1" }
        func newRun(_ folder: URL) -> String {
            BadInputTableTests.tiny("\(folder.path)/new").replacingOccurrences(of: BadInputTableTests.trainer, with: trainer)
        }
        func mnistRun(_ folder: URL) -> String {
            "\(trainer) train --data-path '\(folder.path)/mnist' --global-crop-size 28 --patch-size 7 --local-crop-size 14 --local-crops-number 2 "
                + "--depth 1 --out-dim 32 --batch-size 8 --epochs 1 --warmup-epochs 0 --threads 1 --output-dir '\(folder.path)/new'"
        }
        func imagesRun(_ folder: URL) -> String {
            "\(trainer) train --dataset folder --data-path '\(folder.path)/images' --global-crop-size 28 --patch-size 7 --local-crop-size 14 "
                + "--local-crops-number 2 --depth 1 --out-dim 32 --batch-size 4 --epochs 1 --warmup-epochs 0 --threads 1 --output-dir '\(folder.path)/new'"
        }
        func file(_ path: String) -> (URL) -> URL { { $0.appendingPathComponent(path) } }
        let checkpoint = file("run/checkpoint.safetensors"), metrics = file("run/metrics.jsonl"), lock = file("run/.lock")
        let trainImages = file("mnist/train-images-idx3-ubyte"), testImages = file("mnist/t10k-images-idx3-ubyte")
        let trainLabels = file("mnist/train-labels-idx1-ubyte"), image = file("images/cat/0.png")
        /// The new run stopped after its checkpoint: that checkpoint is whole (`features` reads it).
        func checkpointKept(_ folder: URL) throws {
            let read = try CommandLineTests.shell("$BIN/ch09-trainer features --checkpoint '\(folder.path)/new/checkpoint.safetensors' "
                                                  + "--output '\(folder.path)/kept.safetensors' --threads 1")
            #expect(read.status == 0, "the checkpoint written before the failure should be readable: \(read.error)")
        }
        return [
            // The checkpoint, read by --resume, features and evaluate
            Case(name: "checkpoint missing (features)", breakFile: { try FileManager.default.removeItem(at: checkpoint($0)) }, command: features,
                 status: 1, message: "run/checkpoint.safetensors does not exist"),
            Case(name: "checkpoint a folder (resume)", breakFile: { try folderInstead(checkpoint($0)) }, command: resume,
                 status: 1, message: "run/checkpoint.safetensors is a folder, expected a file"),
            Case(name: "checkpoint empty (resume)", breakFile: { try replace(checkpoint($0), with: Data()) }, command: resume,
                 status: 1, message: "run/checkpoint.safetensors: is 0 bytes long"),
            Case(name: "checkpoint cut short (evaluate)", breakFile: { try cutShort(checkpoint($0)) }, command: evaluate,
                 status: 1, message: "run/checkpoint.safetensors"),
            Case(name: "checkpoint unreadable (resume)", breakFile: { _ in }, command: resume,
                 status: 1, message: "run/checkpoint.safetensors cannot be opened: permission denied", asAnotherUser: true),
            Case(name: "checkpoint unreadable (features)", breakFile: { _ in }, command: features,
                 status: 1, message: "run/checkpoint.safetensors cannot be opened: permission denied", asAnotherUser: true),
            Case(name: "checkpoint edited: a byte changed (evaluate)", breakFile: { folder in
                var bytes = try Data(contentsOf: checkpoint(folder))
                bytes[bytes.count - 40] ^= 0x01
                try replace(checkpoint(folder), with: bytes)
            }, command: evaluate, status: 1, message: "is corrupt (CRC-32C"),
            // metrics.jsonl, read and appended to by --resume
            Case(name: "metrics missing (resume)", breakFile: { try FileManager.default.removeItem(at: metrics($0)) }, command: resume,
                 status: 0, message: "", mayChange: ["run/metrics.jsonl"]),
            Case(name: "metrics a folder (resume)", breakFile: { try folderInstead(metrics($0)) }, command: resume,
                 status: 1, message: "run/metrics.jsonl is a folder, expected a file; the run cannot keep its metrics there"),
            Case(name: "metrics empty (resume)", breakFile: { try replace(metrics($0), with: Data()) }, command: resume, status: 0, message: ""),
            Case(name: "metrics cut short in a line (resume)", breakFile: { folder in
                let bytes = try Data(contentsOf: metrics(folder))
                try replace(metrics(folder), with: bytes.prefix(bytes.count - 10))
            }, command: resume, status: 0, message: "", mayChange: ["run/metrics.jsonl"], afterwards: { folder in
                // The cut line is dropped, every whole line kept.
                let bytes = try Data(contentsOf: metrics(folder))
                let lines = bytes.split(separator: UInt8(ascii: "\n"))
                #expect(bytes.last == UInt8(ascii: "\n") && lines.allSatisfy { (try? JSONSerialization.jsonObject(with: Data($0))) != nil },
                        "metrics.jsonl should hold whole JSON lines only")
            }),
            Case(name: "metrics unreadable (resume)", breakFile: { _ in }, command: resume,
                 status: 1, message: "run/metrics.jsonl cannot be opened: permission denied", asAnotherUser: true),
            Case(name: "metrics edited: lines not JSON (resume)", breakFile: { folder in
                let bytes = try Data(contentsOf: metrics(folder))
                try replace(metrics(folder), with: Data("my note\n".utf8) + bytes + Data([0xFF, 0xFE, 0x0A]))
            }, command: resume, status: 0, message: "metrics.jsonl: lines 1, "),
            // The lock, taken by every train command
            Case(name: "lock a folder (resume)", breakFile: { try folderInstead(lock($0)) }, command: resume,
                 status: 1, message: "run/.lock is a folder, expected a file; it is the run folder's lock"),
            Case(name: "lock unwritable (resume)", breakFile: { _ in }, command: resume,
                 status: 1, message: "run/.lock cannot be opened: permission denied", asAnotherUser: true),
            Case(name: "lock edited (resume)", breakFile: { try replace(lock($0), with: Data("not a PID\n".utf8)) }, command: resume,
                 status: 0, message: "", mayChange: ["run/.lock"]),
            // Files a new run writes, with a folder in their place
            Case(name: "metrics a folder (new run)", breakFile: { try FileManager.default.createDirectory(
                at: $0.appendingPathComponent("new/metrics.jsonl"), withIntermediateDirectories: true) }, command: newRun,
                 status: 1, message: "new/metrics.jsonl is a folder, expected a file"),
            Case(name: "a chart a folder (new run: a warning)", breakFile: { try FileManager.default.createDirectory(
                at: $0.appendingPathComponent("new/knn.svg"), withIntermediateDirectories: true) }, command: newRun,
                 status: 0, message: "warning: ", afterwards: { folder in
                    #expect(FileManager.default.fileExists(atPath: folder.path + "/new/loss.svg"), "the other charts should be written")
                    try checkpointKept(folder)
                 }),
            Case(name: "attention map a folder (new run: a warning)", breakFile: { try FileManager.default.createDirectory(
                at: $0.appendingPathComponent("new/attention.png"), withIntermediateDirectories: true) }, command: newRun,
                 status: 0, message: "new/attention.png is a folder, expected a file", afterwards: checkpointKept),
            Case(name: "teacher backbone a folder (new run)", breakFile: { try FileManager.default.createDirectory(
                at: $0.appendingPathComponent("new/teacher_backbone.safetensors"), withIntermediateDirectories: true) }, command: newRun,
                 status: 1, message: "new/teacher_backbone.safetensors is a folder, expected a file", afterwards: { folder in
                    try checkpointKept(folder)
                    // As the message says: the folder moved away, --resume writes the export the run missed.
                    try FileManager.default.removeItem(at: folder.appendingPathComponent("new/teacher_backbone.safetensors"))
                    let resumed = try CommandLineTests.shell("$BIN/ch09-trainer train --resume --threads 1 --output-dir '\(folder.path)/new'")
                    #expect(resumed.status == 0, "resuming the finished run failed: \(resumed.error)")
                    let export = try SafeTensors.read(folder.appendingPathComponent("new/teacher_backbone.safetensors"))
                    #expect(export["cls_token"] != nil, "the resumed run should write teacher_backbone.safetensors")
                 }),
            Case(name: "features output a folder", breakFile: { try FileManager.default.createDirectory(
                at: $0.appendingPathComponent("features.safetensors"), withIntermediateDirectories: true) }, command: features,
                 status: 1, message: "features.safetensors is a folder, expected a file"),
            Case(name: "features output in a folder not writable", breakFile: { folder in
                try FileManager.default.createDirectory(at: folder.appendingPathComponent("closed"), withIntermediateDirectories: true)
            }, command: { features($0).replacingOccurrences(of: "/features.safetensors", with: "/closed/features.safetensors") },
                 status: 1, message: "closed/features.safetensors could not be written", asAnotherUser: true),
            // Fashion-MNIST's files
            Case(name: "dataset file missing", breakFile: { try FileManager.default.removeItem(at: trainLabels($0)) }, command: mnistRun,
                 status: 1, message: "Fashion-MNIST not found: no "),
            Case(name: "dataset file a folder", breakFile: { try folderInstead(testImages($0)) }, command: mnistRun,
                 status: 1, message: "mnist/t10k-images-idx3-ubyte is a folder, expected a file"),
            Case(name: "dataset file empty", breakFile: { try replace(trainImages($0), with: Data()) }, command: mnistRun,
                 status: 1, message: "train-images-idx3-ubyte: 0 bytes, too short for an IDX header; reinstall the dataset"),
            Case(name: "dataset file cut short", breakFile: { try cutShort(trainImages($0)) }, command: mnistRun,
                 status: 1, message: "train-images-idx3-ubyte: the header's dimensions [40, 28, 28] need 31360 data bytes"),
            Case(name: "dataset file unreadable", breakFile: { _ in }, command: mnistRun,
                 status: 1, message: "mnist/train-images-idx3-ubyte cannot be opened: permission denied", asAnotherUser: true),
            Case(name: "dataset file edited: another format", breakFile: { try replace(trainLabels($0), with: Data("label\n".utf8)) },
                 command: mnistRun, status: 1, message: "train-labels-idx1-ubyte: wrong magic number"),
            // An image of an image folder
            Case(name: "image empty", breakFile: { try replace(image($0), with: Data()) }, command: imagesRun,
                 status: 1, message: "images/cat/0.png: the file is empty"),
            Case(name: "image cut short", breakFile: { try cutShort(image($0), to: 0.6) }, command: imagesRun,
                 status: 1, message: "images/cat/0.png"),
            Case(name: "image unreadable", breakFile: { _ in }, command: imagesRun,
                 status: 1, message: "images/cat/0.png cannot be opened: permission denied", asAnotherUser: true),
        ]
    }

    /// The file each "unreadable" case makes root's alone, by case name.
    static let unreadableFile = [
        "checkpoint unreadable (resume)": "run/checkpoint.safetensors", "checkpoint unreadable (features)": "run/checkpoint.safetensors",
        "metrics unreadable (resume)": "run/metrics.jsonl", "lock unwritable (resume)": "run/.lock",
        "features output in a folder not writable": "closed", "dataset file unreadable": "mnist/train-images-idx3-ubyte",
        "image unreadable": "images/cat/0.png",
    ]

    /// How many cases the sweep holds: pinned, so a case dropped by accident shows.
    static let caseCount = 31

    /// Hands the case's folder to the other user, and the broken file back to root with no access for others.
    static func handOver(_ folder: URL, keeping path: String) throws {
        chown(folder.path, 65534, 65534)
        for relative in try everyPath(under: folder) { chown(folder.path + "/" + relative, 65534, 65534) }
        let kept = folder.path + "/" + path
        let keptIsFolder = isFolder(kept)
        // A copy of its own: the template's file, hard-linked, must stay readable for the other cases.
        if !keptIsFolder { try replace(URL(fileURLWithPath: kept), with: try Data(contentsOf: URL(fileURLWithPath: kept))) }
        chown(kept, 0, 0)
        chmod(kept, keptIsFolder ? 0o755 : 0o600)
    }

    @Test func everyBrokenFileIsAMessageThatNamesItAndLosesNothing() throws {
        let cases = Self.cases()
        #expect(cases.count == Self.caseCount, "expected \(Self.caseCount) cases, found \(cases.count)")
        #expect(Set(cases.filter(\.asAnotherUser).map(\.name)) == Set(Self.unreadableFile.keys), "each unreadable case names its file")
        let root = try Self.prepare()
        defer { try? FileManager.default.removeItem(at: root) }
        // Another user exists only for root, with setpriv; elsewhere those cases are skipped (and said so).
        let canSwitchUser = getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv")
        var skipped = [String]()
        for (index, item) in cases.enumerated() {
            if item.asAnotherUser && !canSwitchUser { skipped.append(item.name); continue }
            let folder = try Self.caseFolder(root, index: index)
            try item.breakFile(folder)
            if item.asAnotherUser, let path = Self.unreadableFile[item.name] { try Self.handOver(folder, keeping: path) }
            let before = BadInputTableTests.snapshot(folder)
            let command = (item.asAnotherUser ? Self.anotherUser + " " : "") + item.command(folder)
            let outcome = try CommandLineTests.shell("ROOT='\(root.path)'; " + command)
            #expect(outcome.status == item.status, "\(item.name): expected exit \(item.status), got \(outcome.status): \(outcome.error)")
            if item.message.isEmpty {
                #expect(outcome.error.isEmpty, "\(item.name): expected nothing on standard error, got: \(outcome.error)")
            } else {
                #expect(outcome.error.contains(item.message), "\(item.name): expected \"\(item.message)\" on standard error, got: \(outcome.error)")
            }
            #expect(!outcome.error.contains("Error Domain=") && !outcome.error.contains("NSCocoaErrorDomain"),
                    "\(item.name): the system's words reached the user: \(outcome.error)")
            // Nothing that was there before changed, but what the case allows; a new run's folder is the case's to check.
            let after = BadInputTableTests.snapshot(folder)
            let changed = before.keys.filter { after[$0] != before[$0] && !item.mayChange.contains($0) && !$0.hasPrefix("new/") }.sorted()
            #expect(changed.isEmpty, "\(item.name): files changed or lost: \(changed)")
            try item.afterwards?(folder)
            try? FileManager.default.removeItem(at: folder)
        }
        if !skipped.isEmpty {
            print("FileFaultTests: \(skipped.count) cases need root and setpriv to run as another user, skipped: \(skipped.joined(separator: "; "))")
        }
    }
}
