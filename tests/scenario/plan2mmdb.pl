#!/usr/bin/perl
# Builds test MaxMind databases from an address plan (prefix<TAB>asn<TAB>org<TAB>cc):
# OUTDIR/asn.mmdb in the GeoLite2-ASN layout and OUTDIR/country.mmdb in the
# GeoLite2-Country layout, with MaxMind's own writer, and OUTDIR/pfx2as.txt, the
# same plan as a CAIDA prefix2as table (an MMDB merges adjacent networks with
# equal data, so only the table keeps the announced prefixes). Test databases are made
# at test time from text and never committed as binaries.
use strict;
use warnings;
use MaxMind::DB::Writer::Tree;

die "usage: $0 PLAN OUTDIR\n" unless @ARGV == 2;
my ($plan, $out) = @ARGV;

my %types = (
    autonomous_system_number       => 'uint32',
    autonomous_system_organization => 'utf8_string',
    country                        => 'map',
    registered_country             => 'map',
    iso_code                       => 'utf8_string',
    names                          => 'map',
    en                             => 'utf8_string',
);

sub tree {
    my ($type) = @_;
    return MaxMind::DB::Writer::Tree->new(
        ip_version            => 6,
        record_size           => 24,
        database_type         => $type,
        languages             => ['en'],
        description           => { en => "bordertrace test database ($type)" },
        map_key_type_callback => sub { $types{ $_[0] } },
        # the lab lives in 198.18.0.0/15, which the writer drops by default
        remove_reserved_networks => 0,
        alias_ipv6_to_ipv4       => 1,
    );
}

my $asn = tree('GeoLite2-ASN');
my $cty = tree('GeoLite2-Country');
open my $in, '<', $plan or die "$plan: $!\n";
open my $p2a, '>', "$out/pfx2as.txt.tmp" or die "$out/pfx2as.txt.tmp: $!\n";
while (my $line = <$in>) {
    chomp $line;
    next if $line =~ /^\s*(#|$)/;
    my ($prefix, $as, $org, $cc) = split /\t/, $line;
    die "$plan:$.: expected prefix<TAB>asn<TAB>org<TAB>country\n"
        unless defined $cc && $as =~ /^\d+$/ && $cc =~ /^[A-Z]{2}$/;
    my ($net, $len) = split m{/}, $prefix;
    print $p2a "$net\t$len\t$as\n";
    $asn->insert_network($prefix, {
        autonomous_system_number       => $as + 0,
        autonomous_system_organization => $org });
    $cty->insert_network($prefix, {
        country            => { iso_code => $cc, names => { en => $cc } },
        registered_country => { iso_code => $cc, names => { en => $cc } } });
}
close $p2a or die "$out/pfx2as.txt.tmp: $!\n";
rename "$out/pfx2as.txt.tmp", "$out/pfx2as.txt" or die "$out/pfx2as.txt: $!\n";
for ([ $asn, 'asn.mmdb' ], [ $cty, 'country.mmdb' ]) {
    my ($t, $name) = @$_;
    open my $fh, '>:raw', "$out/$name.tmp" or die "$out/$name.tmp: $!\n";
    $t->write_tree($fh);
    close $fh or die "$out/$name.tmp: $!\n";
    rename "$out/$name.tmp", "$out/$name" or die "$out/$name: $!\n";
}
