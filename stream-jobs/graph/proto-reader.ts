/**
 * The little of the protobuf wire format the sketch decoder (sketch-codec.ts) needs: varints,
 * zig-zag sint32, little-endian doubles, length-delimited fields and skipping unknown ones.
 * Every read is bounds-checked and throws a RangeError naming the offset, as protobufjs does.
 */
export class ProtoReader {
  pos = 0;
  readonly view: DataView;
  constructor(readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  varint(): number {
    let result = 0;
    for (let shift = 0; shift < 70; shift += 7) {
      if (this.pos >= this.bytes.length) throw new RangeError(`truncated varint at ${this.pos}`);
      const byte = this.bytes[this.pos++] as number;
      // Tags, lengths and sint32 keys are 32-bit: the high bits of a longer varint are dropped.
      if (shift < 32) result |= (byte & 0x7f) << shift;
      if (byte < 0x80) return result >>> 0;
    }
    throw new RangeError(`varint longer than 10 bytes at ${this.pos}`);
  }

  sint32(): number {
    const n = this.varint();
    return (n >>> 1) ^ -(n & 1);
  }

  double(end: number): number {
    if (this.pos + 8 > end) throw new RangeError(`truncated double at ${this.pos}`);
    const v = this.view.getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }

  /** The end of a length-delimited field that starts here, checked against its parent's end. */
  end(parentEnd: number): number {
    const length = this.varint();
    const end = this.pos + length;
    if (end > parentEnd) throw new RangeError(`field of ${length} bytes overruns at ${this.pos}`);
    return end;
  }

  skip(wireType: number, end: number): void {
    if (wireType === 0) this.varint();
    else if (wireType === 1) this.pos += 8;
    else if (wireType === 2) this.pos = this.end(end);
    else if (wireType === 5) this.pos += 4;
    else throw new RangeError(`invalid wire type ${wireType} at offset ${this.pos}`);
    if (this.pos > end) throw new RangeError(`truncated field at ${this.pos}`);
  }
}
