import { registerEnumType } from 'type-graphql';

export enum NotifyBy {
  CABINET = 'CABINET',
  EMAIL = 'EMAIL',
  SMS = 'SMS',
}

registerEnumType(NotifyBy, { name: 'NotifyBy', description: 'terms 5.1: how the subscriber wants to be told (in the cabinet, by e-mail, by SMS)' });
