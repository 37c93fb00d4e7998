#!/usr/bin/perl
# bordertrace bench — a big synthetic ASN database for bench/resolver.sh.
#
# Writes, with MaxMind's Perl writer, a GeoLite2-ASN-layout MMDB of N
# networks (default 500,000: 90% IPv4 /16../28 in public space, 10% IPv6
# /32../48), deterministic for a seed, and the list of networks (one per
# line) for the address generator.
# usage: resolver_mkdb.pl OUT.mmdb OUT.networks [N] [SEED]
use strict;
use warnings;
use MaxMind::DB::Writer::Tree;

my ($out, $nets_out, $n, $seed) = @ARGV;
die "usage: resolver_mkdb.pl OUT.mmdb OUT.networks [N] [SEED]\n" unless defined $nets_out;
$n //= 500000;
$seed //= 1;
srand($seed);

# First octets with no special-purpose range inside, so every generated
# network is resolved by both readers (no class short-cut on our side).
my @octets = grep {
	my $o = $_;
	!grep { $_ == $o } (0, 10, 100, 127, 169, 172, 192, 198, 203)
} 1 .. 223;

my $nasn = 60000;
my $tree = MaxMind::DB::Writer::Tree->new(
	ip_version            => 6,
	record_size           => 28,
	database_type         => 'GeoLite2-ASN',
	languages             => ['en'],
	description           => { en => 'bordertrace resolver benchmark database' },
	map_key_type_callback => sub {
		$_[0] eq 'autonomous_system_number' ? 'uint32' : 'utf8_string'
	},
	remove_reserved_networks => 0,
);

my (%seen, @nets);
my $n4 = int($n * 0.9);
while (@nets < $n4) {
	# Mostly /24, as in BGP tables; the rest spread between /16 and /28.
	my $r = rand();
	my $len = $r < 0.55 ? 24 : $r < 0.85 ? 20 + int(rand(4)) : $r < 0.9 ? 16 + int(rand(4))
		: 25 + int(rand(4));
	my $ip = ($octets[int(rand(@octets))] << 24) | int(rand(1 << 24));
	$ip &= (0xffffffff << (32 - $len)) & 0xffffffff;
	my $net = join('.', map { ($ip >> (24 - 8 * $_)) & 255 } 0 .. 3) . "/$len";
	next if $seen{$net}++;
	push @nets, [$net, $len + 96];
}
while (@nets < $n) {
	my $len = 32 + int(rand(17));
	my @w = (0x2a00 | int(rand(16)), int(rand(65536)), int(rand(65536)), 0);
	# clear the host bits of the third and fourth words
	my $keep = $len - 32;
	$w[2] &= (0xffff << (16 - ($keep > 16 ? 16 : $keep))) & 0xffff;
	$w[3] = 0;
	my $net = sprintf('%x:%x:%x:%x::/%d', @w, $len);
	next if $seen{$net}++;
	push @nets, [$net, $len];
}

open my $nf, '>', $nets_out or die "$nets_out: $!\n";
# Less specific first: a more specific network then overrides its part.
for my $e (sort { $a->[1] <=> $b->[1] } @nets) {
	my $asn = 1 + int(rand($nasn));
	$tree->insert_network($e->[0], {
		autonomous_system_number       => $asn,
		autonomous_system_organization => "AS$asn Example Networks Ltd",
	});
	print $nf "$e->[0]\n";
}
close $nf or die "$nets_out: $!\n";
open my $fh, '>:raw', $out or die "$out: $!\n";
$tree->write_tree($fh);
close $fh or die "$out: $!\n";
