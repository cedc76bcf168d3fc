// Raw f64/i32 memory helpers and a bump arena (the host resets it before each batch).

@inline export function ld(p: usize, i: i32): f64 { return load<f64>(p + (<usize>i << 3)); }
@inline export function st(p: usize, i: i32, v: f64): void { store<f64>(p + (<usize>i << 3), v); }
@inline export function ldi(p: usize, i: i32): i32 { return load<i32>(p + (<usize>i << 2)); }
@inline export function sti(p: usize, i: i32, v: i32): void { store<i32>(p + (<usize>i << 2), v); }

let base: usize = 0;
let top: usize = 0;

function initArena(): void {
  if (base == 0) {
    base = (__heap_base + 15) & ~(<usize>15);
    top = base;
  }
}

/** Bump-allocate `bytes` (16-byte aligned), growing memory when needed. */
export function alloc(bytes: usize): usize {
  initArena();
  const ptr = top;
  const end = (ptr + bytes + 15) & ~(<usize>15);
  const cur = (<usize>memory.size()) << 16;
  if (end > cur) {
    const need = <i32>((end - cur + 0xffff) >> 16);
    if (memory.grow(need) < 0) unreachable();
  }
  top = end;
  return ptr;
}

/** Allocate n doubles, zeroed. */
export function allocF64(n: i32): usize {
  const p = alloc(<usize>n << 3);
  memory.fill(p, 0, <usize>n << 3);
  return p;
}

/** Release everything allocated so far (inputs, outputs and scratch of the last batch). */
export function reset(): void {
  initArena();
  top = base;
}

export function heapTop(): usize { initArena(); return top; }

/** Release what was allocated after heapTop() returned mark (a call's scratch, leaving the batch's layout). */
export function release(mark: usize): void { initArena(); if (mark >= base && mark <= top) top = mark; }
