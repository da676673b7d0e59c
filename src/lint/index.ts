/**
 * The rule registry: the lint rules, one import per file in rules/, sorted by id, and the checks
 * of the input (loader-checks.ts). A meta-test keeps this list, the directory and docs/rules.md
 * equal; the listing, the docs and SARIF read `catalogue`.
 */
import type { RuleInfo } from '../diagnostics.js';
import { LOADER_CHECKS } from '../loader-checks.js';
import type { Rule } from './rule.js';
import abuseDefined from './rules/abuse-defined.js';
import addressDomainNotMisspelt from './rules/address-domain-not-misspelt.js';
import addressSyntaxValid from './rules/address-syntax-valid.js';
import addressUnique from './rules/address-unique.js';
import aliasAcyclic from './rules/alias-acyclic.js';
import aliasMembersExist from './rules/alias-members-exist.js';
import dkimEd25519HasRsa from './rules/dkim-ed25519-has-rsa.js';
import dkimKeyLengthAllowed from './rules/dkim-key-length-allowed.js';
import dkimKeyLengthRecommended from './rules/dkim-key-length-recommended.js';
import dkimKeyPrivate from './rules/dkim-key-private.js';
import dkimKeyValid from './rules/dkim-key-valid.js';
import dkimSelectorRetirement from './rules/dkim-selector-retirement.js';
import dkimSelectorsDistinct from './rules/dkim-selectors-distinct.js';
import dkimSignsEverySender from './rules/dkim-signs-every-sender.js';
import dmarcAlignmentPossible from './rules/dmarc-alignment-possible.js';
import dmarcPolicyEnforced from './rules/dmarc-policy-enforced.js';
import dmarcPolicyValid from './rules/dmarc-policy-valid.js';
import dmarcPublished from './rules/dmarc-published.js';
import dmarcReportAddressPlanned from './rules/dmarc-report-address-planned.js';
import dmarcReportExternalAuthorized from './rules/dmarc-report-external-authorized.js';
import domainUnique from './rules/domain-unique.js';
import heloSpfPublished from './rules/helo-spf-published.js';
import hostAddressUnique from './rules/host-address-unique.js';
import hostConnectionsWithinLimit from './rules/host-connections-within-limit.js';
import hostFqdnInManagedZone from './rules/host-fqdn-in-managed-zone.js';
import hostFqdnUnique from './rules/host-fqdn-unique.js';
import hostMailboxesWithinLimit from './rules/host-mailboxes-within-limit.js';
import hostReverseDnsPlanned from './rules/host-reverse-dns-planned.js';
import hostStorageWithinLimit from './rules/host-storage-within-limit.js';
import loginProxyReachable from './rules/login-proxy-reachable.js';
import mtaStsCoversMx from './rules/mta-sts-covers-mx.js';
import mtaStsPolicyHost from './rules/mta-sts-policy-host.js';
import mxBackupNextHop from './rules/mx-backup-next-hop.js';
import mxBackupPreference from './rules/mx-backup-preference.js';
import mxBackupRecipientsSynced from './rules/mx-backup-recipients-synced.js';
import mxBackupWithinAddressLimit from './rules/mx-backup-within-address-limit.js';
import mxDeclared from './rules/mx-declared.js';
import mxHasBackup from './rules/mx-has-backup.js';
import mxNullAlone from './rules/mx-null-alone.js';
import mxNullNoRecipients from './rules/mx-null-no-recipients.js';
import mxPreferenceRange from './rules/mx-preference-range.js';
import mxPrimaryStore from './rules/mx-primary-store.js';
import mxTargetNotAlias from './rules/mx-target-not-alias.js';
import mxTargetNotIp from './rules/mx-target-not-ip.js';
import mxTargetPlanned from './rules/mx-target-planned.js';
import mxTargetsUnique from './rules/mx-targets-unique.js';
import nameSyntaxValid from './rules/name-syntax-valid.js';
import nameserverHasAddress from './rules/nameserver-has-address.js';
import nameserverInManagedZone from './rules/nameserver-in-managed-zone.js';
import nameserversRedundant from './rules/nameservers-redundant.js';
import postmasterDefined from './rules/postmaster-defined.js';
import queueLifetimeCoversOutage from './rules/queue-lifetime-covers-outage.js';
import reverseZoneAligned from './rules/reverse-zone-aligned.js';
import reverseZoneValid from './rules/reverse-zone-valid.js';
import routingHopsWithinLimit from './rules/routing-hops-within-limit.js';
import soaContactDeliverable from './rules/soa-contact-deliverable.js';
import soaExpireRecommended from './rules/soa-expire-recommended.js';
import soaTimersSane from './rules/soa-timers-sane.js';
import spfIncludeUnique from './rules/spf-include-unique.js';
import spfLookupsWithinLimit from './rules/spf-lookups-within-limit.js';
import spfPolicyRestrictive from './rules/spf-policy-restrictive.js';
import spfSendersPlanned from './rules/spf-senders-planned.js';
import spfSyntaxValid from './rules/spf-syntax-valid.js';
import tlsRptRuaValid from './rules/tls-rpt-rua-valid.js';
import userHomePlanned from './rules/user-home-planned.js';
import userHomeReachable from './rules/user-home-reachable.js';
import userHomeStore from './rules/user-home-store.js';
import zonesDistinct from './rules/zones-distinct.js';

const ruleList: readonly Rule[] = [
  abuseDefined,
  addressDomainNotMisspelt,
  addressSyntaxValid,
  addressUnique,
  aliasAcyclic,
  aliasMembersExist,
  dkimEd25519HasRsa,
  dkimKeyLengthAllowed,
  dkimKeyLengthRecommended,
  dkimKeyPrivate,
  dkimKeyValid,
  dkimSelectorRetirement,
  dkimSelectorsDistinct,
  dkimSignsEverySender,
  dmarcAlignmentPossible,
  dmarcPolicyEnforced,
  dmarcPolicyValid,
  dmarcPublished,
  dmarcReportAddressPlanned,
  dmarcReportExternalAuthorized,
  domainUnique,
  heloSpfPublished,
  hostAddressUnique,
  hostConnectionsWithinLimit,
  hostFqdnInManagedZone,
  hostFqdnUnique,
  hostMailboxesWithinLimit,
  hostReverseDnsPlanned,
  hostStorageWithinLimit,
  loginProxyReachable,
  mtaStsCoversMx,
  mtaStsPolicyHost,
  mxBackupNextHop,
  mxBackupPreference,
  mxBackupRecipientsSynced,
  mxBackupWithinAddressLimit,
  mxDeclared,
  mxHasBackup,
  mxNullAlone,
  mxNullNoRecipients,
  mxPreferenceRange,
  mxPrimaryStore,
  mxTargetNotAlias,
  mxTargetNotIp,
  mxTargetPlanned,
  mxTargetsUnique,
  nameSyntaxValid,
  nameserverHasAddress,
  nameserverInManagedZone,
  nameserversRedundant,
  postmasterDefined,
  queueLifetimeCoversOutage,
  reverseZoneAligned,
  reverseZoneValid,
  routingHopsWithinLimit,
  soaContactDeliverable,
  soaExpireRecommended,
  soaTimersSane,
  spfIncludeUnique,
  spfLookupsWithinLimit,
  spfPolicyRestrictive,
  spfSendersPlanned,
  spfSyntaxValid,
  tlsRptRuaValid,
  userHomePlanned,
  userHomeReachable,
  userHomeStore,
  zonesDistinct,
];

/** The lint rules by id: what `--rule`, `lint.rules` and the runner know. */
export const rules: ReadonlyMap<string, Rule> = new Map(ruleList.map((rule) => [rule.meta.id, rule]));

/** The checks of the input by id: always on, never levelled. */
export const loaderChecks: ReadonlyMap<string, RuleInfo> = new Map(LOADER_CHECKS.map((check) => [check.id, check]));

/** Every id a finding can carry, with what is known of it, sorted by id. */
export const catalogue: ReadonlyMap<string, RuleInfo> = new Map(
  [...loaderChecks.values(), ...ruleList.map((rule) => rule.meta)]
    .sort((a, b) => (a.id < b.id ? -1 : 1))
    .map((info) => [info.id, info]),
);
