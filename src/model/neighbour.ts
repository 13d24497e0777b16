// IPv6 has no arp_ignore: Linux answers a Neighbour Solicitation only for addresses on the
// interface it arrived on, so a DR real server's VIP on `lo` is never announced. What can go
// wrong is the VIP on a NIC; validate (inventory) and verify (live) say so in these words.

export function ipv6VipOnNic(host: string, vip: string, dev: string): string {
  return `IPv6 VIP ${vip} is on ${host}'s ${dev}: it answers Neighbour Solicitations for the VIP there and takes the VIP's traffic from the director (IPv6 has no arp_ignore; a DR real server keeps the VIP on lo only)`;
}
