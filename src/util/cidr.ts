/** IPv4 networks in CIDR notation (`10.213.1.0/24`): what a topology may ask its networks' subnets to be. */

const OCTET = '(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)'
/** Four decimal octets (no leading zeros) and a prefix length of 0 to 32. */
export const CIDR_PATTERN = new RegExp(`^${OCTET}\\.${OCTET}\\.${OCTET}\\.${OCTET}/(3[0-2]|[12]?\\d)$`)

export interface Ipv4Network {
  /** The first address, as an unsigned 32-bit number. */
  base: number
  prefix: number
}

/** The network `text` names, or undefined when it is not IPv4 CIDR notation. Host bits may be set: see `networkAddress`. */
export function parseCidr(text: string): Ipv4Network | undefined {
  const match = CIDR_PATTERN.exec(text)
  if (!match) return undefined
  const [a, b, c, d, prefix] = match.slice(1).map(Number) as [number, number, number, number, number]
  return {base: (((a << 24) | (b << 16) | (c << 8) | d) >>> 0), prefix}
}

function mask(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0
}

/** The network's own address in CIDR notation (host bits cleared): `10.213.1.7/24` → `10.213.1.0/24`. */
export function networkAddress(n: Ipv4Network): string {
  const base = (n.base & mask(n.prefix)) >>> 0
  return `${[24, 16, 8, 0].map((shift) => (base >>> shift) & 0xff).join('.')}/${n.prefix}`
}

export function overlaps(a: Ipv4Network, b: Ipv4Network): boolean {
  const m = mask(Math.min(a.prefix, b.prefix))
  return ((a.base & m) >>> 0) === ((b.base & m) >>> 0)
}

/** How many containers a bridge network on this subnet can hold: every address but the network's, the broadcast and the gateway. */
export function containerCapacity(n: Ipv4Network): number {
  return Math.max(0, 2 ** (32 - n.prefix) - 3)
}

/** Whether `address` (a plain IPv4 address) lies in the network. */
export function contains(n: Ipv4Network, address: string): boolean {
  const host = parseCidr(`${address}/32`)
  return host !== undefined && overlaps(n, host)
}
