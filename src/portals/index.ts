// The portal clients' public surface. Everything else under src/portals/ is internal.
export { createDefenderClient, GRAPH_MAX_PAGE_SIZE, type DefenderClientOptions } from './defender/client.ts';
export { createSentinelClient, ARM_MAX_PAGE_SIZE, SENTINEL_UPDATE_ATTEMPTS, commentIdFromKey, type SentinelClientOptions } from './sentinel/client.ts';
export {
  createConnectorSettingsClient,
  SENTINEL_PREVIEW_API_VERSION,
  type ConnectorRequirements,
  type ConnectorSettingsClientOptions,
  type DefenderConnectorSettingsClient,
} from './sentinel/connector-client.ts';
export { SENTINEL_STABLE_API_VERSION } from './sentinel/common.ts';
export { DEFENDER_DEFAULT_WRITABLE, SENTINEL_DEFAULT_WRITABLE, type PortalLogger } from './capability.ts';
export { DEFAULT_RETRY_POLICY, type RetryPolicyOptions, type Sleep } from './http/retry.ts';
export { createTenantDirectories, directoryIdentityFor, type DirectoryIdentitySources, type TenantDirectories, type TenantIdentity } from './directory/tenant-directories.ts';
export { CHECK_MEMBER_GROUPS_MAX_IDS, DIRECTORY_RETRY_POLICY, createGroupMembershipClient, type GroupMembershipClient } from './directory/group-membership.ts';
export { createTenantChats, type TenantChats } from './teams/tenant-chats.ts';
export { TEAMS_PERMISSIONS, type CreatedChat, type GroupChatRequest } from './teams/chats-client.ts';
