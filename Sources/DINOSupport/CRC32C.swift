import CRC32CKernel

/// CRC-32C (Castagnoli, the checksum of iSCSI, ext4 and Btrfs): what a checkpoint records for each
/// tensor, so that a changed byte is found on load, with the tensor's name. Computed in C, with the
/// x86 `crc32` instruction where the CPU has it (eight bytes at a time).
public enum CRC32C {
    /// The checksum of `bytes`.
    public static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        dino_crc32c(0, bytes.baseAddress, bytes.count)
    }

    /// The checksum of a byte array.
    public static func checksum(_ bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBytes { checksum($0) }
    }

    /// The checksum of a tensor's data as a safetensors file stores it (little-endian `Float`s).
    public static func checksum(_ tensor: some SafeTensorsStorable) -> UInt32 {
        tensor.scalars.withUnsafeBytes { checksum($0) }
    }
}
