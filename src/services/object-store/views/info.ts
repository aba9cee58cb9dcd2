import { SYNC_REALMS, BULK_LIMITS, MAX_CONTAINER_NAME, MAX_LISTING_LIMIT, MAX_OBJECT_NAME, META_LIMITS, SLO_LIMITS } from '../logic/index.js';
import { TEMPURL_DIGESTS, TEMPURL_METHODS } from '../tempurl.js';
import { POLICY_NAME } from './headers.js';

/** GET /swift/info: the cluster's capabilities, one key per middleware Stratus implements. */
export function capabilities(maxFileSize: number) {
  return {
    swift: {
      version: '2.30.0',
      max_file_size: maxFileSize,
      max_meta_name_length: META_LIMITS.maxNameLength,
      max_meta_value_length: META_LIMITS.maxValueLength,
      max_meta_count: META_LIMITS.maxCount,
      max_meta_overall_size: META_LIMITS.maxOverallSize,
      max_header_size: 8192,
      max_object_name_length: MAX_OBJECT_NAME,
      max_container_name_length: MAX_CONTAINER_NAME,
      max_account_name_length: 256,
      container_listing_limit: MAX_LISTING_LIMIT,
      account_listing_limit: MAX_LISTING_LIMIT,
      extra_header_count: 0,
      valid_api_versions: ['v1', 'v1.0'],
      policies: [{ name: POLICY_NAME, aliases: POLICY_NAME, default: true }],
      strict_cors_mode: true,
      allow_account_management: false,
      account_autocreate: true,
    },
    slo: {
      max_manifest_segments: SLO_LIMITS.maxSegments,
      max_manifest_size: SLO_LIMITS.maxManifestSize,
      min_segment_size: SLO_LIMITS.minSegmentSize,
      yield_frequency: 10,
      allow_async_delete: false,
    },
    dlo: { max_segments: 10_000 },
    bulk_upload: { max_containers_per_extraction: 10_000, max_failed_extractions: 1_000 },
    bulk_delete: { max_deletes_per_request: BULK_LIMITS.maxDeletesPerRequest, max_failed_deletes: BULK_LIMITS.maxFailedDeletes },
    tempurl: {
      methods: [...TEMPURL_METHODS],
      incoming_remove_headers: ['x-timestamp'],
      incoming_allow_headers: [],
      outgoing_remove_headers: ['x-object-meta-*'],
      outgoing_allow_headers: ['x-object-meta-public-*'],
      allowed_digests: [...TEMPURL_DIGESTS],
    },
    crossdomain: {},
    formpost: { allowed_digests: [...TEMPURL_DIGESTS] },
    staticweb: {},
    account_quotas: {},
    container_quotas: {},
    container_sync: {
      realms: Object.fromEntries(
        Object.entries(SYNC_REALMS).map(([realm, clusters]) => [realm.toUpperCase(), { clusters: Object.fromEntries(clusters.map((c) => [c.toUpperCase(), { current: true }])) }]),
      ),
    },
    keystoneauth: { container_acls: true, reseller_admin_role: 'ResellerAdmin' },
  };
}
