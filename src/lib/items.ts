/** An order line as the public API shows it: `[item_id, quantity]`. */
export type ItemLine = readonly [itemId: string, quantity: number];

/**
 * Sums the quantities per item, keeping first-seen order: an order may hold the same item
 * twice (the reference appends every addItem), but a reservation must check the total.
 */
export function aggregate(lines: readonly ItemLine[]): ItemLine[] {
  const totals = new Map<string, number>();
  for (const [itemId, quantity] of lines) totals.set(itemId, (totals.get(itemId) ?? 0) + quantity);
  return [...totals];
}

/**
 * Items are stored as `id:qty,id:qty,` so stores can append without parsing and Lua never
 * turns a quantity into a double and back (cjson prints 14 digits). Ids never hold ':' or ','
 * because routes only admit `[A-Za-z0-9_-]`.
 */
export function encodeLine([itemId, quantity]: ItemLine): string {
  return `${itemId}:${quantity},`;
}

export function encodeItems(lines: readonly ItemLine[]): string {
  return lines.map(encodeLine).join('');
}

export function decodeItems(encoded: string): ItemLine[] {
  const lines: ItemLine[] = [];
  for (const part of encoded.split(',')) {
    if (part === '') continue;
    const colon = part.lastIndexOf(':');
    lines.push([part.slice(0, colon), Number(part.slice(colon + 1))]);
  }
  return lines;
}
