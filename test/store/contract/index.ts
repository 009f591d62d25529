// Every repository contract, for one backend.
import { approvalContract } from './approvals.contract.ts';
import { auditContract } from './audit.contract.ts';
import { cardRefreshContract } from './card-refreshes.contract.ts';
import { cardContract } from './cards.contract.ts';
import { changeEventContract } from './change-events.contract.ts';
import type { ContractContext } from './context.ts';
import { conversationContract } from './conversations.contract.ts';
import { cursorContract } from './cursors.contract.ts';
import { editRequestContract } from './edit-requests.contract.ts';
import { leaseContract } from './leases.contract.ts';
import { linkContract } from './links.contract.ts';
import { noticeLogContract } from './notices.contract.ts';
import { escalationContract } from './escalations.contract.ts';
import { parkedEventContract } from './parked-events.contract.ts';
import { quarantineContract } from './quarantine.contract.ts';
import { rateLimitContract } from './rate-limits.contract.ts';
import { warRoomContract } from './war-rooms.contract.ts';

export type { ContractContext } from './context.ts';

export function allContracts(ctx: ContractContext): void {
  cursorContract(ctx);
  linkContract(ctx);
  editRequestContract(ctx);
  changeEventContract(ctx);
  conversationContract(ctx);
  cardContract(ctx);
  approvalContract(ctx);
  auditContract(ctx);
  rateLimitContract(ctx);
  leaseContract(ctx);
  quarantineContract(ctx);
  parkedEventContract(ctx);
  cardRefreshContract(ctx);
  noticeLogContract(ctx);
  escalationContract(ctx);
  warRoomContract(ctx);
}
