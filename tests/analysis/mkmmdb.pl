#!/usr/bin/perl
# bordertrace tests — build a MaxMind DB from a text table, in one of the
# layouts the resolver reads, with MaxMind's own writer (Debian
# libmaxmind-db-writer-perl), so that no binary database is ever committed.
#
# usage: mkmmdb.pl --layout L [--ip-version 4|6] [--type NAME] [--aliases]
#                  TABLE OUT.mmdb
# TABLE lines: network | asn | org | country | registered country
# ("-" or empty for none; '#' comments). Layouts:
#   geolite2-asn      autonomous_system_number (uint32), autonomous_system_organization
#   geolite2-country  country.iso_code, registered_country.iso_code (+ names)
#   geolite2-city     the above plus city.names.en
#   ip-location-db    flat country_code
#   ipinfo            flat country, asn ("AS123"), as_name, as_domain
#   ipinfo-lite       country_code, country (full name), asn, as_name
#   combined          GeoLite2-ASN and GeoLite2-Country keys in one record
#   bogus             keys nobody expects (foo, bar): for the error path
#   asn-as-string     autonomous_system_number stored as a numeric string
#   bad-asn           autonomous_system_number "x123": malformed data
#   bad-country       country a string where GeoLite2 has a map: malformed data
#   nul-org           GeoLite2-ASN with a NUL byte inside each organisation name
#   nul-country       GeoLite2-Country with a NUL byte in each iso_code ("U\0")
use strict;
use warnings;
use Getopt::Long;
use MaxMind::DB::Writer::Tree;

my ($layout, $ipver, $type, $aliases) = (undef, 6, undef, 0);
GetOptions(
	'layout=s'     => \$layout,
	'ip-version=i' => \$ipver,
	'type=s'       => \$type,
	'aliases'      => \$aliases,
) or die "mkmmdb.pl: bad options\n";
die "usage: mkmmdb.pl --layout L [--ip-version 4|6] TABLE OUT\n"
	unless defined $layout && @ARGV == 2;
my ($table, $out) = @ARGV;

my %default_type = (
	'geolite2-asn'     => 'GeoLite2-ASN',
	'geolite2-country' => 'GeoLite2-Country',
	'geolite2-city'    => 'GeoLite2-City',
	'ip-location-db'   => 'ip-location-db-country',
	'ipinfo'           => 'ipinfo country_asn.mmdb',
	'ipinfo-lite'      => 'ipinfo ipinfo_lite.mmdb',
	'combined'         => 'Test-ASN-Country',
	'bogus'            => 'Test-Bogus',
	'asn-as-string'    => 'GeoLite2-ASN',
	'bad-asn'          => 'GeoLite2-ASN',
	'bad-country'      => 'GeoLite2-Country',
	'nul-org'          => 'GeoLite2-ASN',
	'nul-country'      => 'GeoLite2-Country',
);
die "mkmmdb.pl: unknown layout '$layout'\n" unless exists $default_type{$layout};
$type //= $default_type{$layout};

# The writer needs each key's type; nested objects are maps.
my %key_types = (
	autonomous_system_number => 'uint32',
	geoname_id               => 'uint32',
	country                  => 'map',
	registered_country       => 'map',
	continent                => 'map',
	city                     => 'map',
	names                    => 'map',
);
$key_types{autonomous_system_number} = 'utf8_string' if $layout =~ /^(asn-as-string|bad-asn)$/;
$key_types{country} = 'utf8_string' if $layout =~ /^(ipinfo|bad-country)/;

my %country_names = (KP => 'North Korea', CN => 'China', RU => 'Russia',
	US => 'United States', DE => 'Germany', NL => 'Netherlands', JP => 'Japan');

sub record {
	my ($asn, $org, $cc, $rcc) = @_;
	my %r;
	if ($layout eq 'geolite2-asn' || $layout eq 'combined' || $layout eq 'asn-as-string') {
		$r{autonomous_system_number} = $layout eq 'asn-as-string' ? "$asn" : $asn + 0
			if defined $asn;
		$r{autonomous_system_organization} = $org if defined $org;
	}
	if ($layout =~ /^geolite2-(country|city)$/ || $layout eq 'combined') {
		$r{country} = { iso_code => $cc, names => { en => $country_names{$cc} // $cc } }
			if defined $cc;
		$r{registered_country} = { iso_code => $rcc } if defined $rcc;
		$r{continent} = { code => 'AS' } if defined $cc;
		$r{city} = { names => { en => 'Somewhere' } } if $layout eq 'geolite2-city';
	}
	if ($layout eq 'bad-asn') {
		$r{autonomous_system_number} = "x$asn" if defined $asn;
	}
	if ($layout eq 'nul-org') {
		$r{autonomous_system_number} = $asn + 0 if defined $asn;
		$r{autonomous_system_organization} = "$org\0 hidden" if defined $org;
	}
	if ($layout eq 'nul-country') {
		$r{country} = { iso_code => substr($cc, 0, 1) . "\0" } if defined $cc;
	}
	if ($layout eq 'bad-country') {
		$r{country} = $cc if defined $cc;
		$r{registered_country} = { iso_code => $rcc } if defined $rcc;
	}
	if ($layout eq 'ip-location-db') {
		$r{country_code} = $cc if defined $cc;
	}
	if ($layout eq 'ipinfo') {
		$r{country} = $cc if defined $cc;
		$r{country_name} = $country_names{$cc} // $cc if defined $cc;
		$r{asn} = "AS$asn" if defined $asn;
		$r{as_name} = $org if defined $org;
		$r{as_domain} = 'example.net' if defined $asn;
	}
	if ($layout eq 'ipinfo-lite') {
		$r{country_code} = $cc if defined $cc;
		$r{country} = $country_names{$cc} // $cc if defined $cc;
		$r{asn} = $asn =~ /^AS/ ? $asn : "AS$asn" if defined $asn;
		$r{as_name} = $org if defined $org;
	}
	if ($layout eq 'bogus') {
		$r{foo} = 'x';
		$r{bar} = 'y';
	}
	return \%r;
}

my @rows;
open my $in, '<', $table or die "mkmmdb.pl: $table: $!\n";
while (my $line = <$in>) {
	chomp $line;
	next if $line =~ /^\s*(#|$)/;
	my @f = map { s/^\s+|\s+$//gr } split /\|/, $line, -1;
	die "mkmmdb.pl: $table:$.: expected 5 fields\n" unless @f == 5;
	my ($net, @v) = @f;
	@v = map { (defined $_ && $_ ne '' && $_ ne '-') ? $_ : undef } @v;
	next if $ipver == 4 && $net =~ /:/;
	my ($len) = $net =~ m{/(\d+)$};
	push @rows, [$net, ($net =~ /:/ ? $len : $len + 96), @v];
}
close $in;

my $tree = MaxMind::DB::Writer::Tree->new(
	ip_version            => $ipver,
	record_size           => 28,
	database_type         => $type,
	languages             => ['en'],
	description           => { en => "bordertrace test database ($layout)" },
	map_key_type_callback => sub { $key_types{ $_[0] } // 'utf8_string' },
	# The project's labs use the test ranges: keep them.
	remove_reserved_networks => 0,
	alias_ipv6_to_ipv4    => $aliases ? 1 : 0,
);
# Less specific first, so more specific entries override inside them.
for my $r (sort { $a->[1] <=> $b->[1] } @rows) {
	$tree->insert_network($r->[0], record(@$r[2 .. 5]));
}
open my $fh, '>:raw', $out or die "mkmmdb.pl: $out: $!\n";
$tree->write_tree($fh);
close $fh or die "mkmmdb.pl: $out: $!\n";
