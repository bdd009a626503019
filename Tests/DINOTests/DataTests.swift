import CZlib
import DINO
import DINOTraining
import DINOTestSupport
import Foundation
import Testing

/// A fresh temporary folder for one test.
func temporaryFolder(_ name: String = #function) -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("dino-test-\(UUID().uuidString)")
    try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// Expects `body` to throw an error whose text contains every fragment.
func expectMessage(_ fragments: [String], sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void) {
    do {
        try body()
        Issue.record("expected an error mentioning \(fragments)", sourceLocation: sourceLocation)
    } catch {
        for fragment in fragments {
            #expect("\(error)".contains(fragment), "message: \(error)", sourceLocation: sourceLocation)
        }
    }
}

@Suite struct IDXTests {
    /// An IDX file of unsigned bytes: header for `dimensions`, then `payload`.
    func idx(_ dimensions: [Int], payload: [UInt8], magic: [UInt8]? = nil) -> [UInt8] {
        var bytes = magic ?? [0, 0, 0x08, UInt8(dimensions.count)]
        for d in dimensions { bytes += [UInt8(d >> 24 & 255), UInt8(d >> 16 & 255), UInt8(d >> 8 & 255), UInt8(d & 255)] }
        return bytes + payload
    }

    func writeGzip(_ bytes: [UInt8], to url: URL) {
        let file = gzopen(url.path, "wb")
        _ = bytes.withUnsafeBytes { gzwrite(file, $0.baseAddress, UInt32($0.count)) }
        gzclose(file)
    }

    @Test func gzippedAndPlainFilesRead() throws {
        let folder = temporaryFolder()
        let images = idx([2, 2, 3], payload: Array(0..<12)), labels = idx([2], payload: [3, 9])
        writeGzip(images, to: folder.appendingPathComponent("train-images-idx3-ubyte.gz"))
        try Data(labels).write(to: folder.appendingPathComponent("train-labels-idx1-ubyte"))  // plain
        let data = try FashionMNIST.load(.train, folder: folder.path)
        #expect(data.count == 2 && data.height == 2 && data.width == 3)
        #expect(data.labels == [3, 9])
        #expect(data.pixels[11] == Float(11) / 255)
    }

    @Test func corruptFilesAreNamed() throws {
        let folder = temporaryFolder()
        let path = folder.appendingPathComponent("x").path
        func check(_ bytes: [UInt8], gzip: Bool = false, dimensions: Int = 3, _ fragments: [String]) throws {
            if gzip { writeGzip(bytes, to: URL(fileURLWithPath: path)) } else { try Data(bytes).write(to: URL(fileURLWithPath: path)) }
            expectMessage([path] + fragments) { _ = try IDX.read(path, expectedDimensions: dimensions) }
        }
        let valid = idx([2, 2, 2], payload: Array(repeating: 7, count: 8))
        try check(Array(valid.dropLast(3)), ["need 8 data bytes, the file has 5", "truncated"])
        try check(Array(valid.dropLast(3)), gzip: true, ["need 8 data bytes, the file has 5"])
        try check(valid + [1], ["need 8 data bytes, the file has 9"])
        try check(idx([2, 2, 2], payload: [], magic: [0, 0, 0x0D, 3]), ["wrong magic number 0x00000D03", "expected 0x00000803"])
        try check(idx([2, 2], payload: [1, 2, 3, 4]), ["2 dimensions, expected 3"])
        try check([0, 0], ["too short for an IDX header"])
        try check(idx([65536, 65536, 65536], payload: [1]), ["need 281474976710656 data bytes, the file has 1"])  // read first, never allocated
        var gz = [UInt8]()
        writeGzip(valid, to: URL(fileURLWithPath: path))
        gz = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
        try Data(gz.prefix(gz.count - 6)).write(to: URL(fileURLWithPath: path))  // a gzip stream cut short
        expectMessage([path]) { _ = try IDX.read(path, expectedDimensions: 3) }
    }

    @Test func missingDatasetSaysHowToInstallIt() {
        expectMessage(["Fashion-MNIST not found", "apt-get install dataset-fashion-mnist", "--dataset synthetic"]) {
            _ = try FashionMNIST.load(.train, folder: "/nonexistent")
        }
    }

    @Test func labelsOutOfRangeAreRejected() throws {
        let folder = temporaryFolder()
        try Data(idx([1, 1, 1], payload: [0])).write(to: folder.appendingPathComponent("t10k-images-idx3-ubyte"))
        try Data(idx([1], payload: [12])).write(to: folder.appendingPathComponent("t10k-labels-idx1-ubyte"))
        expectMessage(["label 12", "0…9"]) { _ = try FashionMNIST.load(.test, folder: folder.path) }
    }
}

@Suite struct ImageTests {
    @Test func pngRoundTripAndJPEGFixtures() throws {
        let url = temporaryFolder().appendingPathComponent("a.png")
        let pixels: [Float] = (0..<24).map { Float($0 * 10) / 255 }  // (3, 2, 4)
        try ImageCodecs.writePNG(pixels, channels: 3, height: 2, width: 4, to: url)
        let decoded = try ImageCodecs.decode(url.path, channels: 3)
        #expect((decoded.channels, decoded.height, decoded.width) == (3, 2, 4))
        #expect(decoded.pixels == pixels)
        let grey = try ImageCodecs.decode(url.path, channels: 1)
        #expect(grey.channels == 1 && grey.pixels.count == 8)
        let jpeg = try ImageCodecs.decode(Fixture.folder.appendingPathComponent("tiny-rgb.jpg").path, channels: 3)
        #expect((jpeg.height, jpeg.width) == (6, 8))
        #expect(jpeg.pixels[0] > 0.9 && jpeg.pixels[2 * 48] < 0.1)  // red at the left, little blue there
        let jpegGrey = try ImageCodecs.decode(Fixture.folder.appendingPathComponent("tiny-grey.jpg").path, channels: 1)
        #expect(abs(jpegGrey.pixels[7] - 210 / 255) < 0.05)
    }

    @Test func brokenImagesAreNamed() throws {
        let folder = temporaryFolder()
        let png = folder.appendingPathComponent("a.png")
        try ImageCodecs.writePNG([Float](repeating: 0.5, count: 64), channels: 1, height: 8, width: 8, to: png)
        let bytes = try Data(contentsOf: png)
        let cases: [(String, Data, [String])] = [
            ("truncated.png", bytes.prefix(bytes.count / 2), ["truncated.png", "PNG"]),
            ("empty.jpg", Data(), ["empty.jpg", "the file is empty"]),
            ("text.png", Data("hello".utf8), ["text.png", "not a PNG or JPEG image"]),
            ("truncated.jpg", try Data(contentsOf: Fixture.folder.appendingPathComponent("tiny-rgb.jpg")).prefix(100), ["truncated.jpg", "JPEG"]),
            ("header-only.jpg", Data([0xFF, 0xD8, 0xFF]), ["header-only.jpg", "not a readable JPEG"]),
        ]
        for (name, data, fragments) in cases {
            let url = folder.appendingPathComponent(name)
            try data.write(to: url)
            expectMessage(fragments) { _ = try ImageCodecs.decode(url.path, channels: 3) }
        }
    }

    @Test func imageFolderLayoutAndItsErrors() throws {
        let root = temporaryFolder()
        expectMessage([root.path, "no class folders"]) { _ = try ImageFolder.load(root: root.path, imageSize: 8, channels: 1) }
        try FileManager.default.createDirectory(at: root.appendingPathComponent("cat"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: root.appendingPathComponent("dog"), withIntermediateDirectories: true)
        try ImageCodecs.writePNG([Float](repeating: 1, count: 12 * 20), channels: 1, height: 12, width: 20, to: root.appendingPathComponent("cat/a.png"))
        expectMessage(["dog", "class folder with no .png, .jpg or .jpeg image"]) { _ = try ImageFolder.load(root: root.path, imageSize: 8, channels: 1) }
        try FileManager.default.copyItem(at: Fixture.folder.appendingPathComponent("tiny-rgb.jpg"), to: root.appendingPathComponent("dog/b.JPG"))
        let data = try ImageFolder.load(root: root.path, imageSize: 8, channels: 3)  // mixed sizes: each resized
        #expect(data.count == 2 && data.classNames == ["cat", "dog"] && data.labels == [0, 1])
        #expect((data.channels, data.height, data.width) == (3, 8, 8))
        expectMessage(["/nonexistent", "no such folder"]) { _ = try ImageFolder.load(root: "/nonexistent", imageSize: 8, channels: 1) }
    }

    @Test func hiddenFilesAreSkippedAndANameThatIsNotUTF8IsShownReadably() throws {
        let root = temporaryFolder()
        try FileManager.default.createDirectory(at: root.appendingPathComponent("cat"), withIntermediateDirectories: true)
        try ImageCodecs.writePNG([Float](repeating: 1, count: 64), channels: 1, height: 8, width: 8, to: root.appendingPathComponent("cat/a.png"))
        // What macOS leaves behind: a .DS_Store, an AppleDouble "._a.png" (not an image), a hidden folder.
        try Data("junk".utf8).write(to: root.appendingPathComponent(".DS_Store"))
        try Data("junk".utf8).write(to: root.appendingPathComponent("cat/._a.png"))
        try FileManager.default.createDirectory(at: root.appendingPathComponent(".Trashes"), withIntermediateDirectories: true)
        let data = try ImageFolder.load(root: root.path, imageSize: 8, channels: 1)
        #expect(data.count == 1 && data.classNames == ["cat"], "expected one image of class cat, got \(data.count) of \(data.classNames)")
        // "café.png" in Latin-1: the byte E9 is not UTF-8.
        let name = root.path + "/cat/caf\u{E9}.png"
        let latin1 = Array(root.path.utf8) + Array("/cat/caf".utf8) + [0xE9] + Array(".png".utf8) + [0]
        let descriptor = open(latin1.map { CChar(bitPattern: $0) }, O_CREAT | O_WRONLY, 0o644)
        #expect(descriptor >= 0)
        close(descriptor)
        expectMessage([root.path + "/cat/caf\\xE9.png", "the file name is not UTF-8", "rename it"]) {
            _ = try ImageFolder.load(root: root.path, imageSize: 8, channels: 1)
        }
        #expect(!FileManager.default.fileExists(atPath: name))  // the bytes on disk are not the UTF-8 "café"
    }

    @Test func aValidationSplitIsLabelledByClassName() throws {
        let root = temporaryFolder()
        for path in ["train/cat", "train/dog", "train/emu", "val/dog", "val/emu"] {
            try FileManager.default.createDirectory(at: root.appendingPathComponent(path), withIntermediateDirectories: true)
            try ImageCodecs.writePNG([Float](repeating: 1, count: 64), channels: 1, height: 8, width: 8, to: root.appendingPathComponent(path + "/a.png"))
        }
        let train = try ImageFolder.load(root: root.appendingPathComponent("train").path, imageSize: 8, channels: 1)
        let val = try ImageFolder.load(root: root.appendingPathComponent("val").path, imageSize: 8, channels: 1, classNames: train.classNames)
        // By index, val's dog and emu would be 0 and 1 (cat and dog); by name they are 1 and 2.
        #expect(val.labels == [1, 2], "expected dog → 1, emu → 2, got \(val.labels)")
        #expect(val.classNames == train.classNames)
        let alone = try ImageFolder.load(root: root.appendingPathComponent("val").path, imageSize: 8, channels: 1)
        #expect(alone.labels == [0, 1])  // negative control: the same folder on its own
        try FileManager.default.createDirectory(at: root.appendingPathComponent("val/yak"), withIntermediateDirectories: true)
        try ImageCodecs.writePNG([Float](repeating: 1, count: 64), channels: 1, height: 8, width: 8, to: root.appendingPathComponent("val/yak/a.png"))
        expectMessage(["val/yak", "class 'yak' is not among the training classes (cat, dog, emu)"]) {
            _ = try ImageFolder.load(root: root.appendingPathComponent("val").path, imageSize: 8, channels: 1, classNames: train.classNames)
        }
    }

    @Test func splitsOfDifferentSizesOrLabelsOutsideTheClassesAreRefused() throws {
        let train = SyntheticShapes.make(count: 4, size: 8, seed: 0)
        let ok = try Evaluation(bank: train, test: train, classCount: train.classNames.count, mean: [0], std: [1], ks: [1], temperature: 0.07)
        #expect(ok.test.count == 4)  // negative control
        let larger = SyntheticShapes.make(count: 4, size: 12, seed: 0)
        expectMessage(["the test images are 1×12×12 but the training images 1×8×8"]) {
            _ = try Evaluation(bank: train, test: larger, classCount: train.classNames.count, mean: [0], std: [1], ks: [1], temperature: 0.07)
        }
        let rgb = ImageDataset(pixels: [Float](repeating: 0, count: 4 * 3 * 64), labels: [0, 1, 0, 1], classNames: ["a", "b"], channels: 3, height: 8, width: 8)
        expectMessage(["the test images are 3×8×8 but the training images 1×8×8"]) {
            _ = try Evaluation(bank: train, test: rgb, classCount: train.classNames.count, mean: [0], std: [1], ks: [1], temperature: 0.07)
        }
        var mislabelled = train
        mislabelled.labels[2] = 99
        expectMessage(["test image 2 has label 99, outside the \(train.classNames.count) classes"]) {
            _ = try Evaluation(bank: train, test: mislabelled, classCount: train.classNames.count, mean: [0], std: [1], ks: [1], temperature: 0.07)
        }
    }

    @Test func resamplingKeepsAConstantImageAndAveragesWhenShrinking() {
        let constant = Resampling.resize([Float](repeating: 0.25, count: 100)[...], channels: 1, height: 10, width: 10,
                                         region: (0, 0, 10, 10), outHeight: 3, outWidth: 7)
        #expect(constant.allSatisfy { abs($0 - 0.25) < 1e-6 })
        // A one-pixel checkerboard shrunk 4× averages to grey instead of aliasing to black or white.
        let checker = (0..<64).map { Float(($0 / 8 + $0 % 8) % 2) }
        let shrunk = Resampling.resize(checker[...], channels: 1, height: 8, width: 8, region: (0, 0, 8, 8), outHeight: 2, outWidth: 2)
        #expect(shrunk.allSatisfy { abs($0 - 0.5) < 0.1 })
    }
}

@Suite struct AugmentationTests {
    let augmentation = MultiCropAugmentation(AugmentationConfiguration(localCropSize: 8, localCropsNumber: 3), globalCropSize: 16, mean: [0.5], std: [0.25])

    @Test func cropsHaveTheirSizesAndRepeatForTheSameGenerator() {
        let image = SyntheticShapes.make(count: 1, size: 16, seed: 3)
        var first = SeededGenerator(seed: 5), second = SeededGenerator(seed: 5), other = SeededGenerator(seed: 6)
        let crops = augmentation.crops(of: image.image(0), channels: 1, height: 16, width: 16, using: &first)
        #expect(crops.map(\.count) == [256, 256, 64, 64, 64])
        #expect(crops == augmentation.crops(of: image.image(0), channels: 1, height: 16, width: 16, using: &second))
        #expect(crops != augmentation.crops(of: image.image(0), channels: 1, height: 16, width: 16, using: &other))
    }

    @Test func theTwoGlobalCropsAreTreatedDifferently() {
        // Over many draws, global 1 is always blurred and never solarised; global 2 is solarised about 20% of the time.
        let image = ImageDataset(pixels: [Float](repeating: 0.9, count: 256), labels: [0], classNames: ["c"], channels: 1, height: 16, width: 16)
        var rng = SeededGenerator(seed: 1)
        var solarised = [0, 0]
        for _ in 0..<200 {
            let crops = augmentation.crops(of: image.image(0), channels: 1, height: 16, width: 16, using: &rng)
            for g in 0..<2 where crops[g].allSatisfy({ $0 * 0.25 + 0.5 < 0.5 }) { solarised[g] += 1 }  // bright turned dark
        }
        #expect(solarised[0] == 0)
        #expect((20...70).contains(solarised[1]))
    }

    @Test func blurSolarisationAndJitterEachFollowTheirOption() {
        // Whole-image global crops (scale 1) of a checkerboard, with every photometric change off, are the
        // image or its mirror; turning one change back on alters the crops it is meant to alter.
        let pixels: [Float] = (0..<256).map { index in (index / 16 + index % 16) % 2 == 0 ? 0.2 : 0.8 }
        let image = ImageDataset(pixels: pixels, labels: [0], classNames: ["c"], channels: 1, height: 16, width: 16)
        let mirror: [Float] = (0..<256).map { index in pixels[index / 16 * 16 + 15 - index % 16] }
        func globalCrops(blur: [Double] = [0, 0, 0], solarization: Double = 0, jitter: Double = 0) -> [[Float]] {
            var options = AugmentationConfiguration(localCropSize: 8, localCropsNumber: 1)
            (options.globalCropsScale, options.blurProbabilities) = ([1, 1], blur)
            (options.solarizationProbability, options.colorJitterStrength) = (solarization, jitter)
            var rng = SeededGenerator(seed: 2)
            return (0..<20).flatMap { _ in MultiCropAugmentation(options, globalCropSize: 16, mean: [0], std: [1]).crops(of: image.image(0), channels: 1, height: 16, width: 16, using: &rng).prefix(2) }
        }
        func isUnchanged(_ crop: [Float]) -> Bool {
            [pixels, mirror].contains { original in zip(crop, original).allSatisfy { abs($0 - $1) < 1e-5 } }
        }
        let plain = globalCrops()
        #expect(plain.allSatisfy(isUnchanged), "expected every crop to be the image or its mirror, got \(plain.filter { !isUnchanged($0) }.count) changed")
        // σ is drawn from [0.1, 2): the smallest leave a checkerboard all but unchanged.
        let unblurred = globalCrops(blur: [1, 1, 0]).filter(isUnchanged).count
        #expect(unblurred <= 6, "expected blur to change nearly all 40 global crops, got \(unblurred) unchanged")
        let solarised = globalCrops(solarization: 1)
        // Solarisation inverts what is at least 128/255: the 0.8 squares turn 0.2, the 0.2 ones stay.
        let isDark: ([Float]) -> Bool = { crop in crop.allSatisfy { abs($0 - 0.2) < 1e-5 } }
        let secondCropsDark = stride(from: 1, to: solarised.count, by: 2).filter { isDark(solarised[$0]) }.count
        let firstCropsUnchanged = stride(from: 0, to: solarised.count, by: 2).filter { isUnchanged(solarised[$0]) }.count
        #expect(secondCropsDark == 20 && firstCropsUnchanged == 20,
                "expected all 20 second global crops solarised and no first one, got \(secondCropsDark) and \(20 - firstCropsUnchanged)")
        let jittered = globalCrops(jitter: 1).filter { !isUnchanged($0) }.count
        #expect((20...40).contains(jittered), "expected about 80% of 40 crops jittered, got \(jittered)")
    }

    @Test func loaderBatchesAreDeterministic() {
        let data = SyntheticShapes.make(count: 20, size: 16, seed: 1)
        let loader = CropLoader(dataset: data, augmentation: augmentation, batchSize: 8, seed: 4)
        #expect(loader.batchesPerEpoch == 2)
        let order = loader.order(epoch: 1)
        #expect(Set(order) == Set(0..<20) && order != loader.order(epoch: 2))
        let batch = loader.batch(epoch: 1, index: 1, order: order)
        #expect(batch.crops.map(\.shape) == [[8, 1, 16, 16], [8, 1, 16, 16], [8, 1, 8, 8], [8, 1, 8, 8], [8, 1, 8, 8]])
        #expect(batch.crops == loader.batch(epoch: 1, index: 1, order: order).crops)
        let prefetcher = Prefetcher(loader: loader, epoch: 1, first: 1)
        #expect(prefetcher.next()?.crops == batch.crops)
        #expect(prefetcher.next() == nil)
    }
}
