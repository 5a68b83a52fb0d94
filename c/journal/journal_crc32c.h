/* CRC-32C (Castagnoli, polynomial 0x1EDC6F41, reflected 0x82F63B78).
 *
 * Why CRC-32C and not CRC-32 (zlib) or a hash: it detects every burst error
 * up to 32 bits and every 1-3 bit error in records far longer than ours, it
 * is what ext4/btrfs metadata, iSCSI, LevelDB/RocksDB logs and Kafka use for
 * exactly this job, and x86-64 (SSE4.2) and ARMv8 compute it in hardware, so
 * checksumming costs almost nothing next to the write(). The journal guards
 * against torn writes and media errors, not against an adversary, so a
 * cryptographic hash would buy nothing but cost.
 *
 * The interface is zlib-style and chainable: start with crc = 0, then
 * crc = journal_crc32c(crc, next_chunk, len). journal_crc32c(0, "123456789", 9)
 * is 0xE3069283 (the standard check value). */
#ifndef TRADER_JOURNAL_CRC32C_H
#define TRADER_JOURNAL_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/* Uses the SSE4.2 crc32 instruction when the CPU has it, else the table. */
uint32_t journal_crc32c(uint32_t crc, const void *data, size_t len);

/* Portable table-driven path, always available; exposed so tests can check
 * that both paths agree. */
uint32_t journal_crc32c_sw(uint32_t crc, const void *data, size_t len);

#endif
