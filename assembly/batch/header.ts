// The batch header (src/kernel/abi.ts Field): one i32 slot per dimension, option, input and output array.
import { Field } from "../../src/kernel/abi";

/** Slot f of the header at h (a count, a flag or an address). */
export function slot(h: usize, f: Field): i32 { return load<i32>(h + (<usize>f << 2)); }
/** Slot f as an address (0: the optional output is not wanted). */
export function addr(h: usize, f: Field): usize { return <usize>load<u32>(h + (<usize>f << 2)); }
