import { describe, expect, test } from '@jest/globals';
import { configFromResources, planConnectorWrites, versionOf, type ConnectorResources } from '../../src/portals/sentinel/connector-mapping.ts';
import { isStorableText, MAX_LINE_CHARS, storableText } from '../../src/domain/untrusted-text.ts';

const resources = (): ConnectorResources => ({
  connector: { name: 'c1', kind: 'MicrosoftThreatProtection', etag: '"1"', properties: { tenantId: 't', dataTypes: { incidents: { state: 'Enabled' }, alerts: { state: 'Enabled' } } } },
  rules: [
    { name: 'r1', kind: 'MicrosoftSecurityIncidentCreation', etag: '"r1"', properties: { displayName: 'MDE', enabled: false, productFilter: 'Microsoft Defender Advanced Threat Protection' } },
    { name: 'r2', kind: 'MicrosoftSecurityIncidentCreation', etag: '"r2"', properties: { displayName: 'IoT', enabled: true, productFilter: 'Azure Security Center for IoT' } },
    { name: 'r3', kind: 'Scheduled', etag: '"r3"', properties: { enabled: true } },
  ],
  entityAnalytics: { name: 'EntityAnalytics', kind: 'EntityAnalytics', etag: '"s"', properties: { entityProviders: ['AzureActiveDirectory'] } },
});

describe('connector configuration mapping', () => {
  test('reads the page settings from the ARM resources', () => {
    expect(configFromResources(resources(), 'defenderPortal')).toEqual({
      integrationMethod: 'defenderPortal',
      incidentsAndAlerts: true,
      turnOffIncidentCreationRules: true, // the IoT rule is not an integrated product
      entities: false,
      eventTypes: [],
    });
  });

  test('the version changes with any etag that matters', () => {
    const base = versionOf(resources());
    const changed = resources();
    changed.entityAnalytics!.etag = '"s2"';
    expect(versionOf(changed)).not.toBe(base);
    const unrelated = resources();
    unrelated.rules[2]!.etag = '"other"';
    expect(versionOf(unrelated)).toBe(base);
  });

  test('plans only the PUTs needed, each with its etag', () => {
    const writes = planConnectorWrites(
      resources(),
      { integrationMethod: 'defenderPortal', incidentsAndAlerts: true, turnOffIncidentCreationRules: false, entities: true, eventTypes: ['EmailEvents', 'DeviceProcessEvents'] },
      't',
      (seed) => `new:${seed}`,
    );
    const connector = writes.find((w) => w.path === 'dataConnectors');
    expect(connector?.body).toMatchObject({ etag: '"1"', properties: { dataTypes: { incidents: { state: 'Enabled' }, EmailEvents: { state: 'Enabled' }, DeviceProcessEvents: { state: 'Enabled' } } } });
    const rules = writes.filter((w) => w.path === 'alertRules');
    expect(rules.find((w) => w.name === 'r1')?.body).toMatchObject({ etag: '"r1"', properties: { enabled: true } });
    expect(rules.filter((w) => w.name.startsWith('new:rule:'))).toHaveLength(5);
    expect(writes.find((w) => w.path === 'settings')?.body).toMatchObject({ etag: '"s"', properties: { entityProviders: ['ActiveDirectory', 'AzureActiveDirectory'] } });
    expect(planConnectorWrites(resources(), configFromResources(resources(), 'defenderPortal'), 't', (s) => s)).toEqual([]);
  });

  test('event tables are MicrosoftThreatProtection data types; dropped ones are switched off', () => {
    const withTables = resources();
    withTables.connector!.properties.dataTypes = { incidents: { state: 'Enabled' }, EmailEvents: { state: 'Enabled' }, DeviceInfo: { state: 'Disabled' } };
    expect(configFromResources(withTables, 'azurePortal').eventTypes).toEqual(['EmailEvents']);
    const [write] = planConnectorWrites(withTables, { ...configFromResources(withTables, 'azurePortal'), eventTypes: ['DeviceInfo'] }, 't', (s) => s);
    expect((write?.body.properties as { dataTypes: unknown }).dataTypes).toEqual({
      incidents: { state: 'Enabled' }, alerts: { state: 'Enabled' }, EmailEvents: { state: 'Disabled' }, DeviceInfo: { state: 'Enabled' },
    });
  });

  test('event table names are portal text: made storable, and written back as the portal spells them', () => {
    const hostile = resources();
    const long = `Table${'x'.repeat(MAX_LINE_CHARS)}`;
    hostile.connector!.properties.dataTypes = { incidents: { state: 'Enabled' }, 'Device\ud800Events': { state: 'Enabled' }, 'Nul\u0000Events': { state: 'Enabled' }, [long]: { state: 'Enabled' } };
    const config = configFromResources(hostile, 'azurePortal');
    expect(config.eventTypes).toEqual(['Device\uFFFDEvents', 'Nul\uFFFDEvents', storableText(long, MAX_LINE_CHARS)]);
    for (const name of config.eventTypes) expect(isStorableText(name) && name.length <= MAX_LINE_CHARS).toBe(true);
    // Dropping one table switches off that key and leaves the others as they are, under their own keys.
    const [write] = planConnectorWrites(hostile, { ...config, eventTypes: config.eventTypes.filter((name) => !name.startsWith('Nul')) }, 't', (seed) => seed);
    expect((write?.body.properties as { dataTypes: unknown }).dataTypes).toEqual({
      incidents: { state: 'Enabled' },
      alerts: { state: 'Enabled' },
      'Device\ud800Events': { state: 'Enabled' },
      'Nul\u0000Events': { state: 'Disabled' },
      [long]: { state: 'Enabled' },
    });
  });
});
