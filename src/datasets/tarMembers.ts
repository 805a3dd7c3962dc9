// Members of a tar archive (MMLU's data.tar feeds 171 manifest files), read in one pass without
// unpacking the archive. Tar (POSIX ustar / GNU): 512-byte headers, each member's data padded to
// 512 bytes. Long names come as GNU 'L' records or PAX 'x' headers with a `path` key; both are
// honoured.

import { open } from "node:fs/promises";

/**
 * Copy the named members of `tarPath` into the given files, in one pass over the archive.
 * Returns the members not found.
 */
export async function extractTarMembers(tarPath: string, members: Map<string, (bytes: Buffer) => Promise<void>>): Promise<string[]> {
  const wanted = new Map(members);
  const handle = await open(tarPath, "r");
  try {
    const header = Buffer.alloc(512);
    let position = 0;
    let longName: string | undefined;
    for (;;) {
      const { bytesRead } = await handle.read(header, 0, 512, position);
      if (bytesRead < 512 || header.every((b) => b === 0)) break;
      position += 512;
      const size = parseTarNumber(header.subarray(124, 136));
      const type = String.fromCharCode(header[156]!);
      const padded = Math.ceil(size / 512) * 512;
      if (type === "L" || type === "x") {
        const data = Buffer.alloc(size);
        await handle.read(data, 0, size, position);
        if (type === "L") longName = data.toString("utf8").replace(/\0+$/, "");
        else {
          const pathRecord = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(data.toString("utf8"));
          if (pathRecord) longName = pathRecord[1];
        }
        position += padded;
        continue;
      }
      const name = longName ?? tarName(header);
      longName = undefined;
      const normalized = name.replace(/^\.\//, "");
      const write = wanted.get(normalized);
      if (write && (type === "0" || type === "\0")) {
        const data = Buffer.alloc(size);
        await handle.read(data, 0, size, position);
        await write(data);
        wanted.delete(normalized);
        if (wanted.size === 0) break;
      }
      position += padded;
    }
  } finally {
    await handle.close();
  }
  return [...wanted.keys()];
}

function tarName(header: Buffer): string {
  const field = (start: number, length: number) => {
    const bytes = header.subarray(start, start + length);
    const end = bytes.indexOf(0);
    return bytes.subarray(0, end < 0 ? length : end).toString("utf8");
  };
  const name = field(0, 100);
  const prefix = header.subarray(257, 263).toString("latin1").startsWith("ustar") ? field(345, 155) : "";
  return prefix ? `${prefix}/${name}` : name;
}

function parseTarNumber(field: Buffer): number {
  // GNU base-256 for sizes of 8 GiB and more; octal text otherwise.
  if (field[0]! & 0x80) {
    let value = 0;
    for (let i = 1; i < field.length; i++) value = value * 256 + field[i]!;
    return value;
  }
  const text = field.toString("latin1").replace(/\0.*$/s, "").trim();
  return text === "" ? 0 : parseInt(text, 8);
}
