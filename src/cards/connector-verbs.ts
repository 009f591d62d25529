// Action.Execute verbs and input ids of the connector cards. The bot routes on these and the card
// templates (cards/connector-*.json) emit them; tests check that the two agree.

export const CONNECTOR_VERBS = {
  /**
   * Request form submitted: data carries the inputs below, plus what the form was built from:
   * formVersion, integrationMethod (shown, not an input: the bridge cannot change it) and pairId.
   */
  submit: 'connectorSubmit',
  /** data.approvalId */
  approve: 'connectorApprove',
  /** data.approvalId, data.rejectReason (optional) */
  reject: 'connectorReject',
  /** Universal Actions refresh: data.approvalId (approval card), or data.view = 'status' with data.pairId. */
  refresh: 'connectorRefresh',
} as const;

export type ConnectorVerb = (typeof CONNECTOR_VERBS)[keyof typeof CONNECTOR_VERBS];

export const CONNECTOR_INPUT_IDS = {
  incidentsAndAlerts: 'incidentsAndAlerts',
  turnOffIncidentCreationRules: 'turnOffIncidentCreationRules',
  entities: 'entities',
  eventTypes: 'eventTypes',
  reason: 'reason',
  rejectReason: 'rejectReason',
} as const;

/** Teams refreshes a card automatically for at most 60 listed users (Universal Actions, refresh.userIds). */
export const MAX_REFRESH_USER_IDS = 60;
