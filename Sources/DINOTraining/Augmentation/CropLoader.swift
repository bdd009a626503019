import DINO
import Foundation

/// One training batch: `V` crop tensors, each `(B, C, s, s)` (global 1, global 2, the locals).
public struct CropBatch: Sendable {
    /// The crops, crop-major.
    public let crops: [Tensor]
    /// The dataset indices of the batch's images.
    public let indices: [Int]

    /// A batch of the given crops.
    public init(crops: [Tensor], indices: [Int]) {
        self.crops = crops
        self.indices = indices
    }
}

/// Turns a dataset into batches of crops. Every random choice is derived from the seed, the epoch and
/// the image's index, so a batch is the same whoever computes it, whenever: a resumed run sees exactly
/// the batches an uninterrupted one would.
public struct CropLoader: Sendable {
    /// The images.
    public let dataset: ImageDataset
    /// The crop recipe.
    public let augmentation: MultiCropAugmentation
    /// Images per batch.
    public let batchSize: Int
    /// The run's seed.
    public let seed: UInt64
    /// This process's share of each batch in a data-parallel run: share `rank` of `ranks` equal ones
    /// (`0` of `1` alone). `batchSize` stays the global batch.
    public let rank: Int, ranks: Int

    /// A loader over `dataset`; `ranks` must divide `batchSize`.
    public init(dataset: ImageDataset, augmentation: MultiCropAugmentation, batchSize: Int, seed: UInt64, rank: Int = 0, ranks: Int = 1) {
        (self.dataset, self.augmentation, self.batchSize, self.seed) = (dataset, augmentation, batchSize, seed)
        (self.rank, self.ranks) = (rank, ranks)
    }

    /// Full batches per epoch; the last partial batch is dropped, as the reference's `drop_last=True`.
    public var batchesPerEpoch: Int { dataset.count / batchSize }

    /// The order of the images in `epoch`: a permutation from the epoch's own stream.
    public func order(epoch: Int) -> [Int] {
        var rng = SeededGenerator(seed: seed).substream(0xA000_0000_0000_0000 | UInt64(epoch))
        var order = Array(0..<dataset.count)
        order.shuffle(using: &rng)
        return order
    }

    /// This rank's share of batch `index` of `epoch`. An image's crops depend on its index, not on the
    /// rank that makes them, so the ranks' shares together are the batch one process would make.
    public func batch(epoch: Int, index: Int, order: [Int]) -> CropBatch {
        let share = batchSize / ranks, start = index * batchSize + rank * share
        let indices = Array(order[start..<start + share])
        let base = SeededGenerator(seed: seed)
        let perImage = indices.map { imageIndex -> [[Float]] in
            var rng = base.substream(UInt64(epoch) << 32 | UInt64(imageIndex))
            return augmentation.crops(of: dataset.image(imageIndex), channels: dataset.channels, height: dataset.height,
                                      width: dataset.width, using: &rng)
        }
        let crops = (0..<augmentation.cropCount).map { crop -> Tensor in
            let size = crop < 2 ? augmentation.globalCropSize : augmentation.configuration.localCropSize
            return Tensor(shape: [indices.count, dataset.channels, size, size], scalars: perImage.flatMap { $0[crop] })
        }
        return CropBatch(crops: crops, indices: indices)
    }
}

/// Prepares the next batches on a background thread while the training step runs on the current one.
public final class Prefetcher: @unchecked Sendable {
    private let condition = NSCondition()
    private var ready: [Int: CropBatch] = [:]
    private var nextToMake: Int
    private let end: Int
    private var nextToTake: Int
    private var stopped = false
    private let depth: Int

    /// Starts making batches `first..<loader.batchesPerEpoch` of `epoch`, at most `depth` ahead.
    public init(loader: CropLoader, epoch: Int, first: Int, depth: Int = 2) {
        (nextToMake, nextToTake, end, self.depth) = (first, first, loader.batchesPerEpoch, depth)
        let order = loader.order(epoch: epoch)
        Thread.detachNewThread { [self] in
            while true {
                condition.lock()
                while !stopped && nextToMake < end && nextToMake - nextToTake >= depth { condition.wait() }
                if stopped || nextToMake >= end { condition.unlock(); return }
                let index = nextToMake
                condition.unlock()
                let batch = loader.batch(epoch: epoch, index: index, order: order)
                condition.lock()
                ready[index] = batch
                nextToMake += 1
                condition.broadcast()
                condition.unlock()
            }
        }
    }

    /// The next batch in order, waiting for it if needed; `nil` at the end of the epoch.
    public func next() -> CropBatch? {
        condition.lock()
        defer { condition.unlock() }
        guard nextToTake < end else { return nil }
        while ready[nextToTake] == nil { condition.wait() }
        let batch = ready.removeValue(forKey: nextToTake)
        nextToTake += 1
        condition.broadcast()
        return batch
    }

    /// Stops the background thread (at most one batch in progress is finished and dropped).
    public func stop() {
        condition.lock()
        stopped = true
        condition.broadcast()
        condition.unlock()
    }

    deinit { stop() }
}
